"""A refused form tells the agent why in the agent's language; the REST API says the same in English."""

from __future__ import annotations

from datetime import timedelta

from linka.core import clock
from linka.core.errors import Conflict, Invalid, NotFound
from linka.core.i18n import Translator
from linka.domains.accounts.models import Agent
from linka.domains.tickets.models import Ticket
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.web.form_errors import error_text, field_errors
from tests.conftest import AppClient, bearer
from tests.entrypoints.web.ticket_helpers import rows
from tests.entrypoints.web.web_helpers import htmx_post, post_form, sign_in, text_of
from tests.personas import Personas


async def test_a_czech_agent_reads_why_a_postpone_was_refused_in_czech(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)  # language cs
    too_late = (clock.now() + timedelta(days=730)).date()

    refused = await htmx_post(client, f"/tickets/{code}/postpone", {"until": f"{too_late.isoformat()}T09:00"})

    assert refused.status_code == 422
    seen = text_of(refused.text)
    assert "nejvýše rok dopředu" in seen
    assert "at most a year ahead" not in seen
    [ticket] = await rows(runtime, Ticket, Ticket.code == code)
    assert ticket.status != "postponed"


async def test_the_api_answers_the_same_refusal_in_english(client: AppClient, personas: Personas) -> None:
    code = personas.ticket_codes["karel"]
    too_late = clock.now() + timedelta(days=730)

    response = await client.post(
        f"/api/v1/tickets/{code}/postpone",
        json={"until": too_late.isoformat()},
        headers={**bearer(personas.support_agent), "Accept-Language": "cs"},
    )

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "until: at most a year ahead",
        "fields": {"until": "at most a year ahead"},
    }


async def test_a_hungarian_agent_reads_a_limit_with_its_number_in_hungarian(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.sales_agent)  # language hu

    refused = await post_form(client, "/profile/details", {"signature": "x" * 5001})

    assert refused.status_code == 422
    seen = text_of(refused.text)
    assert "legfeljebb 5000 karakter" in seen
    assert "at most 5000 characters" not in seen
    [agent] = await rows(runtime, Agent, Agent.id == personas.sales_agent.id)
    assert agent.signature != "x" * 5001


def test_messages_are_translated_with_their_values_and_english_stays_the_same() -> None:
    error = Conflict(
        "status",
        "a ticket cannot go from %(current)s to %(target)s",
        values={"current": "closed", "target": "open"},
    )
    assert error.message == "status: a ticket cannot go from closed to open"
    assert error.fields == {"status": "a ticket cannot go from closed to open"}

    assert field_errors(error, Translator("cs")) == {
        "status": "tiket nemůže přejít ze stavu closed do stavu open"
    }
    assert (
        error_text(error, Translator("hu")) == "status: a jegy nem kerülhet closed állapotból open állapotba"
    )
    assert field_errors(error, Translator("en")) == error.fields
    # No template known to the catalogs, or no field at all: the English text.
    untranslated = Invalid("name", "something new", more={"email": "also new"})
    assert field_errors(untranslated, Translator("cs")) == {"name": "something new", "email": "also new"}
    assert error_text(NotFound("ticket"), Translator("cs")) == "ticket not found"
