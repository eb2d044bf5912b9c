"""The outgoing mail API: a ticket's deliveries for whoever sees the ticket, retrying a failed mail by
hand (the ticket's workers; manage_channels for system mail), and the delivery status shown on the
thread's outgoing groups."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar, Router

from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.domains.accounts import credentials
from linka.domains.mail.models import OutgoingMail
from linka.entrypoints.api import outgoing_mail
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.worker.mail_delivery import deliver_mail
from tests.conftest import AppClient, bearer
from tests.outbound_mail import CLI, Peer, actor_for, make_mailbox, outgoing, reply, running_peer
from tests.personas import Personas

API = "/api/v1"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Peer]:
    yield from running_peer()


@pytest.fixture
def peer(smtp_server: Peer) -> Peer:
    smtp_server.handler.reset()
    return smtp_server


@pytest.fixture
def api(app: Litestar, client: AppClient) -> AppClient:
    """The client, with this module's routes mounted until api/__init__.py registers them."""
    if not any(route.path.startswith(f"{API}/outgoing-mail") for route in app.routes):
        app.register(Router(path=API, route_handlers=outgoing_mail.routes))
    return client


async def _failed_reply(runtime: Runtime, db: Database, personas: Personas, peer: Peer) -> OutgoingMail:
    await make_mailbox(runtime, personas, port=peer.port)
    sara = await actor_for(db, personas.support_agent)
    await reply(runtime, sara, personas.ticket_codes["karel"], text="Dobrý den")
    peer.handler.refuse["karel@acme.test"] = "550 5.1.1 user unknown"
    assert await deliver_mail(runtime) == 1
    [mail] = await outgoing(db, OutgoingMail.ticket_id == personas.tickets["karel"])
    assert mail.delivery_status == "failed"
    return mail


async def test_retry_by_hand_then_the_worker_sends_it(
    api: AppClient, runtime: Runtime, db: Database, personas: Personas, peer: Peer, frozen_clock: FrozenClock
) -> None:
    mail = await _failed_reply(runtime, db, personas, peer)
    path = f"{API}/outgoing-mail/{mail.id}/retry"

    # Sándor works Sales only: Karel's ticket does not exist for him; Rita reads Sales only.
    assert (await api.post(path, headers=bearer(personas.sales_agent))).status_code == 404
    assert (await api.post(path, headers=bearer(personas.sales_reader))).status_code == 404
    assert (await api.post(path, headers=bearer(personas.read_key))).status_code == 403
    assert (
        await api.post(f"{API}/outgoing-mail/999999/retry", headers=bearer(personas.admin))
    ).status_code == 404

    retried = await api.post(path, headers=bearer(personas.support_agent))
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert body["id"] == mail.id
    assert body["status"] == "queued"
    assert body["attempts"] == 0
    assert body["message_id"] == mail.message_id
    assert "550 5.1.1" in body["last_error"]  # why it failed stays visible until it is sent

    peer.handler.refuse.clear()
    assert await deliver_mail(runtime) == 1
    again = await api.post(path, headers=bearer(personas.support_agent))
    assert again.status_code == 409
    assert again.json()["error"]["fields"] == {"mail_id": "this mail was sent already; it is not sent twice"}
    assert [m["Message-ID"] for m in peer.messages()] == [mail.message_id]


async def test_system_mail_is_retried_by_channel_admins_only(
    api: AppClient, runtime: Runtime, db: Database, personas: Personas
) -> None:
    async with runtime.uow(CLI) as uow:
        await credentials.request_password_reset(uow, email=personas.support_agent.email, links=runtime.links)
    [mail] = await outgoing(db, OutgoingMail.kind == "password_reset")
    path = f"{API}/outgoing-mail/{mail.id}/retry"
    refused = await api.post(path, headers=bearer(personas.support_agent))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "needs the permission manage_channels"
    assert (await api.post(path, headers=bearer(personas.admin))).status_code == 200


async def test_deliveries_of_a_ticket_and_on_its_thread(
    api: AppClient, runtime: Runtime, db: Database, personas: Personas, peer: Peer, frozen_clock: FrozenClock
) -> None:
    await make_mailbox(runtime, personas, port=peer.port)
    code = personas.ticket_codes["karel"]
    sara = await actor_for(db, personas.support_agent)
    sent_group = await reply(runtime, sara, code, text="První odpověď")
    assert await deliver_mail(runtime) == 1
    peer.handler.answers.append("451 4.3.0 later")
    waiting_group = await reply(runtime, sara, code, text="Druhá odpověď")
    assert await deliver_mail(runtime) == 1

    listed = await api.get(f"{API}/tickets/{code}/deliveries", headers=bearer(personas.support_agent))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["kind"], i["status"], i["to"]) for i in items] == [
        ("reply", "queued", "karel@acme.test"),
        ("reply", "sent", "karel@acme.test"),
    ]
    assert items[0]["attempts"] == 1
    assert "451 4.3.0" in items[0]["last_error"]
    assert items[0]["next_attempt_at"] is not None
    assert items[1]["sent_at"] is not None
    assert items[1]["subject"] == f"Tiskárna nefunguje [#{code}]"

    paged = await api.get(f"{API}/tickets/{code}/deliveries?limit=1", headers=bearer(personas.admin))
    cursor = paged.json()["next_cursor"]
    rest = await api.get(
        f"{API}/tickets/{code}/deliveries?limit=1&cursor={cursor}", headers=bearer(personas.admin)
    )
    assert [i["status"] for i in rest.json()["items"]] == ["sent"]
    assert rest.json()["next_cursor"] is None

    hidden = await api.get(f"{API}/tickets/{code}/deliveries", headers=bearer(personas.sales_agent))
    assert hidden.status_code == 404

    thread = await api.get(f"{API}/tickets/{code}/thread", headers=bearer(personas.support_agent))
    groups = {g["id"]: g for g in thread.json()["items"]}
    assert [d["status"] for d in groups[sent_group.public_id]["deliveries"]] == ["sent"]
    assert [d["status"] for d in groups[waiting_group.public_id]["deliveries"]] == ["queued"]
