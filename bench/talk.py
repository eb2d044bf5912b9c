"""What the people of a generated ticket write: the customer's messages, the agents' replies, notes, chat
lines and call notes, composed from bench/texts.py with the ticket's own numbers (order, invoice,
product…) filled in, in the ticket's language."""

from __future__ import annotations

import random

from bench import texts
from bench.draw import between, one_of, two_at_most


def slots(rng: random.Random, language: str) -> dict[str, str]:
    """One ticket's particulars: every message of the ticket speaks of the same order and invoice."""
    year = one_of(rng, (2025, 2026))
    return {
        "inv": f"FV-{year}-{between(rng, 1, 99999):05d}",
        "order": f"{year}{between(rng, 100000, 999999)}",
        "product": one_of(rng, texts.PRODUCTS),
        "qty": str(one_of(rng, (5, 10, 20, 50, 100, 250, 1000))),
        "amount": f"{between(rng, 200, 90000):,}".replace(",", " "),
        "date": f"{between(rng, 1, 29)}. {between(rng, 1, 13)}. {year}",
        "code": one_of(rng, texts.ERROR_CODES),
        "version": f"{between(rng, 2, 6)}.{between(rng, 0, 13)}.{between(rng, 0, 10)}",
        "city": one_of(rng, texts.CITIES),
        "phone": one_of(rng, texts.PHONES),
        "rma": f"RMA-{between(rng, 10000, 99999)}",
        "month": one_of(rng, texts.LANGUAGE_TEXTS[language].months),
    }


def subject(rng: random.Random, language: str, topic: str, particulars: dict[str, str]) -> str:
    return one_of(rng, texts.LANGUAGE_TEXTS[language].subjects[topic]).format(**particulars)


def sentence(rng: random.Random, language: str, topic: str, particulars: dict[str, str]) -> str:
    if language == "hu" and rng.random() < texts.RARE_RATE:
        return texts.RARE_SENTENCE_HU
    return one_of(rng, texts.LANGUAGE_TEXTS[language].customer[topic]).format(**particulars)


def customer_text(
    rng: random.Random,
    language: str,
    topic: str,
    name: str,
    particulars: dict[str, str],
    *,
    short: bool = False,
) -> str:
    words = texts.LANGUAGE_TEXTS[language]
    body = [sentence(rng, language, topic, particulars) for _ in range(1 if short else between(rng, 1, 4))]
    if rng.random() < 0.4:
        body.append(one_of(rng, words.general).format(**particulars))
    closing = one_of(rng, words.closings)
    return "\n\n".join([one_of(rng, words.greetings), " ".join(body), f"{closing}\n{name}"])


def reply(rng: random.Random, language: str, topic: str, particulars: dict[str, str], agent: str) -> str:
    words = texts.LANGUAGE_TEXTS[language]
    body = [line.format(**particulars) for line in two_at_most(rng, words.replies[topic])]
    return "\n\n".join(
        [one_of(rng, words.reply_openers), " ".join(body), words.signature.format(agent=agent)]
    )


def quote(agent: str, when: str, text: str) -> str:
    quoted = "\n".join("> " + line for line in text.splitlines())
    return f"{agent}, {when}:\n{quoted}"


def note(rng: random.Random, language: str, particulars: dict[str, str]) -> str:
    return one_of(rng, texts.LANGUAGE_TEXTS[language].notes).format(**particulars)


def chat_agent_line(rng: random.Random, language: str) -> str:
    return one_of(rng, texts.LANGUAGE_TEXTS[language].chat_agent)


def call_note(rng: random.Random, language: str, particulars: dict[str, str]) -> str:
    return one_of(rng, texts.LANGUAGE_TEXTS[language].calls).format(**particulars)


def form_labels(language: str) -> tuple[str, str, str]:
    return texts.LANGUAGE_TEXTS[language].form_fields
