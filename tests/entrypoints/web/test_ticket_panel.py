"""The ticket page's side panel: every change is a form post through the domain action, and what the
database holds afterwards is what the panel shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from linka.core import clock
from linka.domains.fields import actions as fields_actions
from linka.domains.fields import queries as fields_queries
from linka.domains.tickets import actions, tag_actions, thread_actions
from linka.domains.tickets.models import Ticket, TicketTag
from linka.domains.tickets.thread_models import MessageGroup
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.ticket_helpers import actor_of, customer_writes, rows
from tests.entrypoints.web.web_helpers import htmx_post, post_form, sign_in, text_of
from tests.personas import Personas


async def ticket(runtime: Runtime, code: str) -> Ticket:
    [found] = await rows(runtime, Ticket, Ticket.code == code)
    return found


async def test_status_priority_and_resolve_change_the_ticket(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)

    panel = await htmx_post(client, f"/tickets/{code}/priority", {"priority": "urgent"})
    assert panel.status_code == 200
    assert panel.headers["hx-trigger"] == "linka:this-ticket"
    assert '<option value="urgent" selected>' in panel.text
    assert (await ticket(runtime, code)).priority == 3

    opened = await post_form(client, f"/tickets/{code}/status", {"status": "spam"})
    assert opened.status_code == 303
    assert (await ticket(runtime, code)).status == "spam"
    panel = await client.get(f"/tickets/{code}/panel")
    # From spam the table allows only the way back (a restore) or the trash.
    offered = [
        s
        for s in ("new", "answered", "open", "postponed", "resolved", "closed", "deleted")
        if f'<option value="{s}"' in panel.text
    ]
    assert offered == ["new", "answered", "open", "resolved", "closed", "deleted"]  # postponing takes a time

    await post_form(client, f"/tickets/{code}/status", {"status": "open"})
    resolved = await htmx_post(client, f"/tickets/{code}/resolve", {})
    assert resolved.status_code == 200
    found = await ticket(runtime, code)
    assert found.status == "resolved"
    assert found.resolved_at is not None
    kinds = [g.kind for g in await rows(runtime, MessageGroup, MessageGroup.ticket_id == found.id)]
    assert "resolve" in kinds


async def test_a_transition_the_table_refuses_is_shown_and_changes_nothing(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)
    await post_form(client, f"/tickets/{code}/status", {"status": "resolved"})
    await post_form(client, f"/tickets/{code}/status", {"status": "closed"})

    refused = await htmx_post(client, f"/tickets/{code}/status", {"status": "open"})

    assert refused.status_code == 409
    assert "uzavřený tiket je zamčený" in text_of(refused.text)
    assert (await ticket(runtime, code)).status == "closed"
    panel = await client.get(f"/tickets/{code}/panel")
    assert 'value="open"' not in panel.text  # only moves the table allows are offered


async def test_tags_are_added_removed_and_created_by_who_may(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    async with runtime.uow(await actor_of(runtime, personas.admin)) as uow:
        vip = await tag_actions.create_tag(uow, name="VIP")
    ticket_id = personas.tickets["karel"]
    await sign_in(client, personas.support_agent)

    added = await htmx_post(client, f"/tickets/{code}/tags", {"tag": vip.public_id})
    assert added.status_code == 200
    assert [t.tag_id for t in await rows(runtime, TicketTag, TicketTag.ticket_id == ticket_id)] == [vip.id]
    assert "Nový štítek" not in text_of(added.text)  # Sára may not create tags

    removed = await htmx_post(client, f"/tickets/{code}/tags/remove", {"tag": vip.public_id})
    assert removed.status_code == 200
    assert await rows(runtime, TicketTag, TicketTag.ticket_id == ticket_id) == []

    await client.post("/logout", headers={"x-csrf-token": client.cookies.get("linka_csrf", "")})
    client.cookies.clear()
    await sign_in(client, personas.admin)
    created = await htmx_post(client, f"/tickets/{code}/tags", {"name": "Tiskárny"})
    assert created.status_code == 200
    assert "Tiskárny" in text_of(created.text)
    assert len(await rows(runtime, TicketTag, TicketTag.ticket_id == ticket_id)) == 1


async def test_assign_unassign_and_transfer(client: AppClient, runtime: Runtime, personas: Personas) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_supervisor)

    panel = await client.get(f"/tickets/{code}/panel")
    # Only agents who work Support tickets are offered.
    assert personas.support_agent.public_id in panel.text
    assert personas.sales_agent.public_id not in panel.text.split('id="panel-department"')[0]

    assigned = await htmx_post(client, f"/tickets/{code}/assign", {"agent": personas.support_agent.public_id})
    assert assigned.status_code == 200
    assert (await ticket(runtime, code)).assignee_id == personas.support_agent.id

    refused = await htmx_post(client, f"/tickets/{code}/assign", {"agent": personas.sales_agent.public_id})
    assert refused.status_code == 422
    assert "nepracuje na tiketech tohoto oddělení" in text_of(refused.text)

    await htmx_post(client, f"/tickets/{code}/assign", {"agent": ""})
    assert (await ticket(runtime, code)).assignee_id is None

    moved = await htmx_post(
        client,
        f"/tickets/{code}/transfer",
        {"department": personas.department_public_ids["sales"], "agent": personas.sales_agent.public_id},
    )
    # Viktor does not see Sales tickets: the ticket left his sight, so he goes back to the list.
    assert moved.status_code == 204
    assert moved.headers["hx-redirect"] == "/tickets"
    found = await ticket(runtime, code)
    assert (found.department_id, found.assignee_id, found.transfer_count) == (
        personas.departments["sales"],
        personas.sales_agent.id,
        1,
    )


async def test_postpone_takes_the_agents_time_zone(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)  # Europe/Prague

    day = (clock.now() + timedelta(days=10)).date()
    response = await post_form(client, f"/tickets/{code}/postpone", {"until": f"{day.isoformat()}T09:30"})

    assert response.status_code == 303
    found = await ticket(runtime, code)
    assert found.status == "postponed"
    prague = datetime(day.year, day.month, day.day, 9, 30, tzinfo=ZoneInfo("Europe/Prague"))
    assert found.postponed_until == prague
    bad = await htmx_post(client, f"/tickets/{code}/postpone", {"until": "tomorrow"})
    assert bad.status_code == 422
    assert "datum a čas" in text_of(bad.text)  # Sára reads Czech


async def test_merge_asks_to_confirm_then_moves_the_thread(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    admin = await actor_of(runtime, personas.admin)
    async with runtime.uow(admin) as uow:
        other = await actions.create_ticket(
            uow,
            subject="Tiskárna znovu",
            contact_id=personas.contacts["karel"],
            department_id=personas.departments["support"],
        )
    await customer_writes(runtime, other.code, "A ještě jedna věc.")
    await sign_in(client, personas.support_agent)

    asked = await htmx_post(
        client, f"/tickets/{code}/merge", {"other": other.code.lower(), "direction": "into_this"}
    )
    assert asked.status_code == 200
    assert f"Sloučit tiket {other.code} „Tiskárna znovu“ do tohoto?" in text_of(asked.text)
    assert (await ticket(runtime, other.code)).merged_into_id is None

    done = await htmx_post(
        client, f"/tickets/{code}/merge", {"other": other.code, "direction": "into_this", "confirm": "yes"}
    )
    assert done.status_code == 200
    assert (await ticket(runtime, other.code)).merged_into_id == personas.tickets["karel"]
    moved = await rows(runtime, MessageGroup, MessageGroup.ticket_id == personas.tickets["karel"])
    assert "incoming_email" in [g.kind for g in moved]

    unknown = await htmx_post(client, f"/tickets/{code}/merge", {"other": "AAA-AAA-AAA"})
    assert unknown.status_code == 422
    assert "Žádný jiný tiket nemá tento kód." in text_of(unknown.text)


async def test_merging_this_ticket_into_another_goes_there(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    async with runtime.uow(await actor_of(runtime, personas.admin)) as uow:
        other = await actions.create_ticket(
            uow,
            subject="Hlavní tiket",
            contact_id=personas.contacts["karel"],
            department_id=personas.departments["support"],
        )
    await sign_in(client, personas.support_agent)

    done = await post_form(
        client, f"/tickets/{code}/merge", {"other": other.code, "direction": "into_other", "confirm": "yes"}
    )

    assert done.status_code == 303
    assert done.headers["location"] == f"/tickets/{other.code}"
    assert (await ticket(runtime, code)).merged_into_id == other.id


async def test_split_moves_a_message_to_a_new_ticket(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await customer_writes(runtime, code, "Tiskárna nefunguje.")
    second = await customer_writes(runtime, code, "A úplně jiná věc: faktura.")
    await sign_in(client, personas.support_agent)

    response = await post_form(
        client, f"/tickets/{code}/split", {"group": second.public_id, "subject": "Faktura"}
    )

    assert response.status_code == 303
    new_code = response.headers["location"].removeprefix("/tickets/")
    created = await ticket(runtime, new_code)
    assert created.subject == "Faktura"
    [moved] = await rows(runtime, MessageGroup, MessageGroup.public_id == second.public_id)
    assert moved.ticket_id == created.id


async def test_a_note_written_here_is_in_the_thread_fragment(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    async with runtime.uow(await actor_of(runtime, personas.support_supervisor)) as uow:
        await thread_actions.add_note(uow, code=code, text="Poznámka od Viktora")
    await sign_in(client, personas.support_agent)

    thread = await client.get(f"/tickets/{code}/thread")

    assert 'class="message note"' in thread.text
    assert "Poznámka od Viktora" in text_of(thread.text)


async def test_without_javascript_a_refused_change_shows_the_whole_page(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)

    response = await post_form(client, f"/tickets/{code}/priority", {"priority": "extreme"})

    assert response.status_code == 422
    assert f'data-ticket-code="{code}"' in response.text
    assert "musí být low, normal, high nebo urgent" in text_of(response.text)
    assert (await ticket(runtime, code)).priority == 1


async def test_custom_fields_are_set_from_the_panel(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    async with runtime.uow(await actor_of(runtime, personas.admin)) as uow:
        await fields_actions.create_field(
            uow, entity="ticket", key="model", label="Model", kind="select", options=["HP", "Canon"]
        )
        await fields_actions.create_field(uow, entity="ticket", key="pages", label="Pages", kind="number")
        await fields_actions.create_field(
            uow, entity="ticket", key="warranty", label="Warranty", kind="checkbox"
        )
    await sign_in(client, personas.support_agent)

    saved = await htmx_post(
        client,
        f"/tickets/{code}/fields",
        {"field.model": "Canon", "field.pages": "120", "field.warranty": ["false", "true"]},
    )

    assert saved.status_code == 200
    async with runtime.db.read_session() as session:
        values = await fields_queries.values_of(session, "ticket", [personas.tickets["karel"]])
    assert values[personas.tickets["karel"]] == {"model": "Canon", "pages": 120, "warranty": True}
    bad = await htmx_post(client, f"/tickets/{code}/fields", {"field.model": "Epson", "field.pages": "x"})
    assert bad.status_code == 422
    assert "not an option" in text_of(bad.text)
