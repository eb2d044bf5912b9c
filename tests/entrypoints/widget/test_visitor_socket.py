"""The visitor socket against bad input and real-life connections: refusals at the handshake, the visitor
the token names, lines that are too long or empty, frames the server cannot read, a flood, reconnects
with resends and `since`, two tabs, lines with no chat or after it ended, and the rating. Real WebSocket
clients against the app served by uvicorn; what is asserted is what the visitor receives and what is
stored."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from linka.core.clock import FrozenClock
from linka.core.permissions import SYSTEM
from linka.domains.chat import button_actions
from linka.entrypoints.runtime import Runtime
from tests.entrypoints.realtime.conftest import AgentSocket, agent_socket
from tests.entrypoints.widget.chat_helpers import (
    SITE,
    VisitorSocket,
    chat_row,
    configure_button,
    set_online,
    visitor_socket,
)
from tests.entrypoints.widget.visitor_checks import (
    chats_of_visitor,
    hello,
    refusal,
    send_raw,
    stored_lines,
    visitor_row,
)
from tests.personas import Personas
from tests.served_app import Served
from tests.served_app import served as served


async def accepted_by(agent: AgentSocket, visitor: VisitorSocket, chat: str) -> None:
    await agent.next_of("chat_ring", chat=chat)
    await agent.send({"type": "chat_accept", "chat": chat})
    await visitor.next_state("active")


async def answers(visitor: VisitorSocket, count: int, wait: float = 10.0) -> dict[str, dict[str, Any]]:
    """The next `count` acks and errors, by the key they answer (other frames are kept for later)."""
    found: dict[str, dict[str, Any]] = {}
    async with asyncio.timeout(wait):
        while len(found) < count:
            waiting = [f for f in visitor.received if f["type"] in ("ack", "error")]
            if waiting:
                frame = waiting[0]
                visitor.received.remove(frame)
            else:
                frame = json.loads(await visitor.connection.recv())
                if frame["type"] not in ("ack", "error"):
                    visitor.received.append(frame)
                    continue
            assert frame["key"] not in found, frame
            found[frame["key"]] = frame
    return found


async def settled(visitor: VisitorSocket) -> None:
    """Every frame sent before has been handled (frames are handled in order; a ping is answered last)."""
    await visitor.send({"type": "ping"})
    await visitor.next_of("pong")


# ---- the handshake ---------------------------------------------------------------------------------


async def test_an_unknown_or_switched_off_button_is_refused_with_4404(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    frame, code = await refusal(served, "cb_nosuchbutton")
    assert (frame["type"], frame["code"], code) == ("error", "unknown_button", 4404)

    await configure_button(runtime, personas, enabled=False)
    frame, code = await refusal(served, personas.support_chat_button.public_id)
    assert (frame["code"], code) == ("unknown_button", 4404)


async def test_a_page_of_another_site_or_no_page_at_all_is_refused_with_4403(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    for origin in ("https://evil.example", "http://127.0.0.1:8080", None):
        frame, code = await refusal(served, button, origin=origin)
        assert (frame["code"], code) == ("origin_not_allowed", 4403), origin
    # Linka's own origin (its preview page) is always allowed.
    async with visitor_socket(served, button, origin=runtime.settings.base_url) as visitor:
        assert visitor.welcome["config"]["button"] == button


async def test_the_first_frame_must_be_a_hello(served: Served, personas: Personas) -> None:
    button = personas.support_chat_button.public_id
    for first in ('{"type": "ping"}', "not json", '{"type": "message", "key": "k", "text": "Hi"}'):
        frame, code = await refusal(served, button, first=first)
        assert (frame["code"], code) == ("hello_expected", 4400), first
    frame, code = await refusal(served, button, first="x" * 20_000 + hello())
    assert (frame["code"], code) == ("hello_expected", 4400)


# ---- who the visitor is ----------------------------------------------------------------------------


async def test_the_token_names_the_same_visitor_and_a_return_after_30_minutes_is_a_new_visit(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    button = personas.support_chat_button.public_id
    async with visitor_socket(served, button) as first:
        token, public_id = first.welcome["token"], first.welcome["visitor"]
        assert public_id.startswith("vi_")
        assert len(token) >= 32
        await first.send({"type": "page", "page": {"url": "http://127.0.0.1/shop/cart", "title": "Cart"}})
        await settled(first)
    stored = await visitor_row(runtime, public_id)
    assert (stored.visits, stored.page_views, stored.page_url) == (1, 2, "http://127.0.0.1/shop/cart")
    assert stored.token == token

    frozen_clock.advance(minutes=20)
    async with visitor_socket(served, button, token=token, page="http://127.0.0.1/help") as back:
        assert (back.welcome["visitor"], back.welcome["token"]) == (public_id, token)
    stored = await visitor_row(runtime, public_id)
    assert (stored.visits, stored.page_views, stored.page_url) == (1, 3, "http://127.0.0.1/help")

    frozen_clock.advance(minutes=31)
    async with visitor_socket(served, button, token=token) as later:
        assert later.welcome["visitor"] == public_id
    stored = await visitor_row(runtime, public_id)
    assert (stored.visits, stored.page_views) == (2, 4)
    assert stored.visit_started_at == frozen_clock.now()

    # A token nobody holds, or one of another button, is a new visitor with a token of their own.
    async with runtime.uow(SYSTEM) as uow:
        other = await button_actions.create_chat_button(
            uow, name="sales_chat", department_id=personas.departments["sales"], allowed_origins=[SITE]
        )
    for where, held in ((button, "a-token-nobody-was-given-0123"), (other.public_id, token)):
        async with visitor_socket(served, where, token=held) as stranger:
            assert stranger.welcome["visitor"] != public_id
            assert stranger.welcome["token"] not in (held, token)


# ---- lines the server refuses ----------------------------------------------------------------------


async def test_a_line_too_long_or_empty_is_refused_with_its_key_and_nothing_is_stored(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    async with visitor_socket(served, personas.support_chat_button.public_id) as visitor:
        chat = await visitor.start("Hello")
        await visitor.send({"type": "message", "key": "too-long", "text": "x" * 5001})
        refused = await visitor.next_of("error", key="too-long")
        assert (refused["code"], refused["field"]) == ("too_long", "text")
        for key, text in (("empty", "  \n "), ("nothing", None), ("number", 42)):
            await visitor.send({"type": "message", "key": key, "text": text})
            refused = await visitor.next_of("error", key=key)
            assert (refused["code"], refused["field"]) == ("invalid", "text"), key
        await visitor.send({"type": "message", "key": "", "text": "No key"})
        assert (await visitor.next_of("error", key=""))["field"] == "key"
        fine = await visitor.say("x" * 5000, key="at-the-limit")
    lines = await stored_lines(runtime, chat["id"], kind="text")
    assert [(line.client_key, len(line.body)) for line in lines[1:]] == [("at-the-limit", 5000)]
    assert lines[-1].position == fine["seq"]


async def test_frames_the_server_cannot_read_are_refused_and_the_connection_stays_usable(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    async with visitor_socket(served, personas.support_chat_button.public_id) as visitor:
        chat = await visitor.start("Hello")
        # Over 16 KB: refused as a frame (not read as a line that is too long).
        big = json.dumps({"type": "message", "key": "big", "text": "y" * 17_000})
        for bad in (big, "not json", b"\x00\x01binary", "[1, 2]", '"hello"', '{"type": ["message"]}'):
            await send_raw(visitor, bad)
            refused = await visitor.next_of("error")
            assert refused["code"] == "invalid", bad[:40]
            assert refused.get("key") is None
        # A frame of a known type with fields of the wrong shape is ignored or refused, never fatal.
        await visitor.send({"type": "page", "page": ["http://127.0.0.1/x"]})
        await visitor.send({"type": "seen", "seq": "all"})
        await visitor.send({"type": "typing", "typing": {"yes": 1}})
        await visitor.send({"type": "start", "fields": "nope", "message": "also nope"})
        await visitor.send({"type": "no-such-frame"})
        await settled(visitor)
        ack = await visitor.say("Still here")
    lines = await stored_lines(runtime, chat["id"], kind="text")
    assert [line.body for line in lines] == ["Hello", "Still here"]
    assert lines[-1].position == ack["seq"]


async def test_an_astral_emoji_counts_as_one_character(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    """5000 emoji are 5000 characters (20 KB of UTF-8, as a browser sends them): a line at the limit."""
    async with visitor_socket(served, personas.support_chat_button.public_id) as visitor:
        chat = await visitor.start("Hello")
        for key, text in (("emoji-5000", "😀" * 5000), ("emoji-5001", "🙂" * 5001)):
            await send_raw(
                visitor, json.dumps({"type": "message", "key": key, "text": text}, ensure_ascii=False)
            )
        accepted = await visitor.next_of("ack", key="emoji-5000")
        refused = await visitor.next_of("error", key="emoji-5001")
        assert refused["code"] == "too_long"
        echoed = await visitor.next_line(key="emoji-5000")
        assert echoed["text"] == "😀" * 5000
    lines = await stored_lines(runtime, chat["id"], kind="text")
    assert [(line.client_key, line.body) for line in lines[1:]] == [("emoji-5000", "😀" * 5000)]
    assert lines[-1].position == accepted["seq"]


async def test_a_flood_is_rate_limited_for_that_visitor_only_and_what_was_stored_is_there_once(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    async with visitor_socket(served, button) as flooder, visitor_socket(served, button) as calm:
        chat = await flooder.start("Flood")  # one write of the 20 allowed in 10 s
        keys = [f"flood-{n:02d}" for n in range(25)]
        for key in keys:
            await flooder.send({"type": "message", "key": key, "text": f"Line {key}"})
        got = await answers(flooder, len(keys))
        assert [key for key in keys if got[key]["type"] == "ack"] == keys[:19]
        for key in keys[19:]:
            assert got[key]["code"] == "rate_limited", got[key]
            assert 1 <= got[key]["retry_after"] <= 10
        seqs = [got[key]["seq"] for key in keys[:19]]
        assert seqs == sorted(set(seqs))

        other = await calm.start("Me too")  # another visitor is not slowed
        assert other["state"] == "queued"
        assert (await calm.say("Not slowed"))["type"] == "ack"
    lines = await stored_lines(runtime, chat["id"], kind="text")
    assert [line.body for line in lines] == ["Flood", *(f"Line {key}" for key in keys[:19])]
    assert [line.client_key for line in lines[1:]] == keys[:19]
    assert [line.position for line in lines[1:]] == seqs


# ---- reconnects and tabs ---------------------------------------------------------------------------


async def test_a_resent_line_is_acked_with_its_number_and_stored_once_and_since_returns_later_lines(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    async with visitor_socket(served, button) as tab:
        chat = await tab.start("First line")
        token = tab.welcome["token"]
        second = await tab.say("Second line", key="k-second")
        # The widget sends a line and the connection drops before the ack arrives.
        await tab.send({"type": "message", "key": "k-lost", "text": "Third line"})
    # The server stores it all the same (the store may finish after the close).
    async with asyncio.timeout(5):
        while True:
            if "k-lost" in [line.client_key for line in await stored_lines(runtime, chat["id"])]:
                break
            await asyncio.sleep(0.05)

    async with visitor_socket(served, button, token=token, since=second["seq"]) as again:
        assert again.welcome["chat"]["id"] == chat["id"]
        later = again.welcome["messages"]
        assert [(m["text"], m["key"], m["author"]) for m in later] == [("Third line", "k-lost", "visitor")]
        assert later[0]["seq"] == second["seq"] + 1
        # The widget resends what it has no ack for: the same numbers come back, nothing is stored twice.
        assert (await again.say("Second line", key="k-second"))["seq"] == second["seq"]
        assert (await again.say("Third line", key="k-lost"))["seq"] == later[0]["seq"]
        await again.nothing_of("message")
        fourth = await again.say("Fourth line")

    async with visitor_socket(served, button, token=token, since=0) as fresh:
        everything = fresh.welcome["messages"]
        # The pre-chat answers are not lines the widget shows; the rest in order.
        assert [m["text"] for m in everything] == ["First line", "Second line", "Third line", "Fourth line"]
        assert [m["seq"] for m in everything] == sorted(m["seq"] for m in everything)
        assert everything[-1]["seq"] == fourth["seq"]
    keys = [line.client_key for line in await stored_lines(runtime, chat["id"], kind="text")]
    assert keys.count("k-second") == keys.count("k-lost") == 1
    assert len(keys) == 4


async def test_two_tabs_of_one_visitor_both_get_every_line(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    await set_online(runtime, personas.support_agent)
    async with agent_socket(served, personas.support_agent) as sara, visitor_socket(served, button) as one:
        chat = await one.start("Hello from tab one")
        await accepted_by(sara, one, chat["id"])
        async with visitor_socket(served, button, token=one.welcome["token"]) as two:
            assert two.welcome["visitor"] == one.welcome["visitor"]
            assert (two.welcome["chat"]["id"], two.welcome["chat"]["state"]) == (chat["id"], "active")

            sent = await one.say("Typed in tab one")
            mirrored = await two.next_line(key=sent["key"])
            assert (mirrored["text"], mirrored["seq"], mirrored["author"]) == (
                "Typed in tab one",
                sent["seq"],
                "visitor",
            )
            await sara.send({"type": "chat_send", "chat": chat["id"], "key": "a1", "text": "Both tabs?"})
            for tab in (one, two):
                assert (await tab.next_line(author="agent"))["text"] == "Both tabs?"
            back = await two.say("Typed in tab two")
            assert (await one.next_line(key=back["key"]))["text"] == "Typed in tab two"


# ---- lines without a running chat, and the rating --------------------------------------------------


async def test_a_line_with_no_chat_is_no_chat_and_after_the_chat_ended_is_chat_ended(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    await set_online(runtime, personas.support_agent)
    async with (
        agent_socket(served, personas.support_agent) as sara,
        visitor_socket(served, personas.support_chat_button.public_id) as visitor,
    ):
        await visitor.send({"type": "message", "key": "early", "text": "Anyone?"})
        assert (await visitor.next_of("error", key="early"))["code"] == "no_chat"

        chat = await visitor.start("Hello")
        await accepted_by(sara, visitor, chat["id"])
        await visitor.send({"type": "end"})
        await visitor.next_state("ended")
        await visitor.send({"type": "message", "key": "late", "text": "One more thing"})
        assert (await visitor.next_of("error", key="late"))["code"] == "chat_ended"

        # A chat left while still waiting is missed; a line after it is refused the same way.
        again = await visitor.start("Hello again")
        await sara.next_of("chat_ring", chat=again["id"])
        await visitor.send({"type": "end"})
        await visitor.next_state("missed")
        await visitor.send({"type": "message", "key": "later", "text": "Hello?"})
        assert (await visitor.next_of("error", key="later"))["code"] == "chat_ended"
    for public_id in (chat["id"], again["id"]):
        keys = [line.client_key for line in await stored_lines(runtime, public_id)]
        assert not {"early", "late", "later"} & set(keys)


async def test_the_rating_is_stored_on_the_chat_and_anything_else_is_invalid(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    await set_online(runtime, personas.support_agent)
    async with (
        agent_socket(served, personas.support_agent) as sara,
        visitor_socket(served, personas.support_chat_button.public_id) as visitor,
    ):
        await visitor.send({"type": "rate", "rating": "good"})
        assert (await visitor.next_of("error"))["code"] == "no_chat"
        chat = await visitor.start("Hello")
        await accepted_by(sara, visitor, chat["id"])
        await visitor.send({"type": "end"})
        await visitor.next_state("ended")
        for rating, comment in (("good", "Quick"), ("neutral", ""), ("bad", "  Slow in the end  ")):
            await visitor.send({"type": "rate", "rating": rating, "comment": comment})
            await visitor.next_of("rated")
            stored = await chat_row(runtime, chat["id"])
            assert (stored.rating, stored.rating_comment) == (rating, comment.strip())
            assert (await sara.next_of("chat_rated", chat=chat["id"]))["rating"] == rating
        for wrong in ("excellent", 5, None, "GOOD"):
            await visitor.send({"type": "rate", "rating": wrong, "comment": "ignored"})
            refused = await visitor.next_of("error")
            assert (refused["code"], refused["field"]) == ("invalid", "rating"), wrong
    stored = await chat_row(runtime, chat["id"])
    assert (stored.rating, stored.rating_comment) == ("bad", "Slow in the end")


async def test_a_start_from_a_second_tab_joins_the_running_chat_with_its_line_stored(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    """Two tabs showed the pre-chat form; both send it. One chat, and both first lines in it, each acked
    with the number it is stored under."""
    button = personas.support_chat_button.public_id
    async with (
        visitor_socket(served, button) as one,
        visitor_socket(served, button, token=one.welcome["token"]) as two,
    ):
        chat = await one.start("From tab one")
        fields = {"name": "Petra", "email": "petra@example.test"}
        start = {"type": "start", "fields": fields, "message": {"key": "two-1", "text": "From tab two"}}
        await two.send(start)
        ack = await two.next_of("ack", key="two-1")
        await two.send(start)  # resent (its ack was lost): nothing more is stored
        assert (await two.next_of("ack", key="two-1"))["seq"] == ack["seq"]
    lines = await stored_lines(runtime, chat["id"], kind="text")
    assert [line.body for line in lines] == ["From tab one", "From tab two"]
    assert lines[1].position == ack["seq"]
    assert len(await chats_of_visitor(runtime, one.welcome["visitor"])) == 1


async def test_widgets_without_a_token_are_limited_per_address_and_known_visitors_still_get_in(
    served: Served, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    async with visitor_socket(served, button) as first:  # one new visitor
        token = first.welcome["token"]
    for _ in range(59):  # the rest of the minute's 60 new visitors from this address
        async with visitor_socket(served, button) as visitor:
            assert visitor.welcome["token"] != token
    frame, code = await refusal(served, button, first=hello())
    assert (frame["code"], code) == ("rate_limited", 4429)
    async with visitor_socket(served, button, token=token) as known:  # a returning visitor is not counted
        assert known.welcome["token"] == token
