"""The thread API: replies, notes and forwards; uploading (streamed, size-limited, deduplicated) and
downloading attachments (only for those who see the ticket, with safe headers); the thread in pages
loaded in a constant number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from linka.core.db import Database
from linka.core.permissions import Origin, system_actor
from linka.domains.mail.models import OutgoingMail
from linka.domains.tickets import status_actions, thread_actions
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.statuses import Status
from linka.domains.tickets.thread_models import Attachment, MessageGroup
from linka.entrypoints.asgi import CSRF_HEADER
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient, bearer
from tests.entrypoints.api.auth_helpers import csrf, login
from tests.personas import PASSWORD, Personas

API = "/api/v1"
PDF = b"%PDF-1.4\n" + b"0" * 3000


async def code_of(db: Database, ticket_id: int) -> str:
    async with db.read_session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.code


async def count(db: Database, model: Any, *conditions: Any) -> int:
    async with db.read_session() as session:
        query = select(func.count()).select_from(model).where(*conditions)
        return int((await session.execute(query)).scalar_one())


def blob_files(runtime: Runtime) -> list[Path]:
    root = runtime.settings.effective_blob_dir
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def upload(
    client: AppClient,
    headers: dict[str, str],
    code: str,
    data: bytes,
    name: str,
    mime: str = "application/pdf",
) -> Any:
    return await client.post(
        f"{API}/tickets/{code}/attachments", files={"file": (name, data, mime)}, headers=headers
    )


@contextmanager
def counting_queries(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", before)


# ---- uploading and replying ------------------------------------------------------------------------


async def test_upload_then_reply_with_the_file(
    client: AppClient, db: Database, runtime: Runtime, personas: Personas
) -> None:
    sara = bearer(personas.support_agent)
    code = await code_of(db, personas.tickets["karel"])
    uploaded = await upload(client, sara, code, PDF, "Faktura č. 5.pdf")
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["id"].startswith("at_")
    assert (body["filename"], body["size"], body["mime_type"]) == (
        "Faktura č. 5.pdf",
        len(PDF),
        "application/pdf",
    )
    assert len(blob_files(runtime)) == 1

    reply = await client.post(
        f"{API}/tickets/{code}/replies",
        json={"text": "Posílám fakturu.", "attachment_ids": [body["id"]]},
        headers=sara,
    )
    assert reply.status_code == 201, reply.text
    group = reply.json()
    assert group["kind"] == "outgoing_email"
    assert group["author"] == {
        "agent_id": personas.support_agent.public_id,
        "contact_id": None,
        "name": "Sára Nováková",
    }
    assert group["recipients"] == {"to": ["karel@acme.test"], "cc": []}
    assert [m["kind"] for m in group["messages"]] == ["text", "file"]
    assert group["messages"][1]["attachment"]["id"] == body["id"]
    assert await count(db, OutgoingMail, OutgoingMail.to_address == "karel@acme.test") == 1
    ticket = (await client.get(f"{API}/tickets/{code}", headers=sara)).json()
    assert ticket["status"] == "answered"

    thread = await client.get(f"{API}/tickets/{code}/thread", headers=sara)
    assert thread.status_code == 200
    assert [g["id"] for g in thread.json()["items"]] == [group["id"]]
    assert thread.json()["next_cursor"] is None


async def test_same_bytes_twice_are_one_blob_and_two_attachments(
    client: AppClient, db: Database, runtime: Runtime, personas: Personas
) -> None:
    admin = bearer(personas.admin)
    karel = await code_of(db, personas.tickets["karel"])
    eva = await code_of(db, personas.tickets["eva"])
    first = await upload(client, admin, karel, PDF, "a.pdf")
    second = await upload(client, admin, eva, PDF, "b.pdf")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert len(blob_files(runtime)) == 1
    assert await count(db, Attachment) == 2


async def test_oversized_upload_is_refused_and_leaves_nothing(
    client: AppClient, db: Database, runtime: Runtime, personas: Personas
) -> None:
    runtime.blobs.max_bytes = 1000
    sara = bearer(personas.support_agent)
    code = await code_of(db, personas.tickets["karel"])
    # Just over the limit (found while streaming) and far over it (refused by the announced length).
    for size in (1001, 200_000):
        response = await upload(client, sara, code, b"x" * size, "big.bin", "application/octet-stream")
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["fields"] == {"file": "larger than 1000 bytes, the largest accepted"}
    assert blob_files(runtime) == []
    assert await count(db, Attachment) == 0
    assert (await upload(client, sara, code, b"x" * 1000, "fits.bin")).status_code == 201


async def test_upload_errors_name_the_file(
    client: AppClient, db: Database, runtime: Runtime, personas: Personas
) -> None:
    sara = bearer(personas.support_agent)
    code = await code_of(db, personas.tickets["karel"])
    not_multipart = await client.post(f"{API}/tickets/{code}/attachments", json={"file": "x"}, headers=sara)
    empty = await upload(client, sara, code, b"", "empty.txt")
    wrong_field = await client.post(
        f"{API}/tickets/{code}/attachments", files={"document": ("a.txt", b"abc", "text/plain")}, headers=sara
    )
    two = await client.post(
        f"{API}/tickets/{code}/attachments",
        files=[("file", ("a.txt", b"one", "text/plain")), ("file", ("b.txt", b"two", "text/plain"))],
        headers=sara,
    )
    for response in (not_multipart, empty, wrong_field, two):
        assert response.status_code == 422, response.text
        assert "file" in response.json()["error"]["fields"]
    assert blob_files(runtime) == []
    assert await count(db, Attachment) == 0


async def test_who_may_upload(client: AppClient, db: Database, runtime: Runtime, personas: Personas) -> None:
    """Rita reads Sales (403), Sándor does not see Support (404), a read key writes nothing (403); in
    no case is a byte kept."""
    eva = await code_of(db, personas.tickets["eva"])
    karel = await code_of(db, personas.tickets["karel"])
    assert (await upload(client, bearer(personas.sales_reader), eva, PDF, "a.pdf")).status_code == 403
    assert (await upload(client, bearer(personas.sales_agent), karel, PDF, "a.pdf")).status_code == 404
    assert (await upload(client, bearer(personas.read_key), karel, PDF, "a.pdf")).status_code == 403
    assert blob_files(runtime) == []


# ---- downloading ----------------------------------------------------------------------------------


async def test_download_only_for_those_who_see_the_ticket(
    client: AppClient, db: Database, personas: Personas
) -> None:
    code = await code_of(db, personas.tickets["karel"])
    attachment = (await upload(client, bearer(personas.support_agent), code, PDF, "Faktura č. 5.pdf")).json()
    url = f"{API}/attachments/{attachment['id']}"

    response = await client.get(url, headers=bearer(personas.support_supervisor))
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-length"] == str(len(PDF))
    assert response.headers["content-disposition"] == (
        "inline; filename=\"Faktura c. 5.pdf\"; filename*=UTF-8''Faktura%20%C4%8D.%205.pdf"
    )
    forced = await client.get(url, params={"download": "true"}, headers=bearer(personas.admin))
    assert forced.headers["content-disposition"].startswith("attachment;")

    for stranger in (personas.sales_reader, personas.sales_agent):
        denied = await client.get(url, headers=bearer(stranger))
        assert denied.status_code == 404
        assert denied.json()["error"]["code"] == "not_found"
    assert (await client.get(url)).status_code == 401
    assert (
        await client.get(f"{API}/attachments/at_doesnotexist", headers=bearer(personas.admin))
    ).status_code == 404


async def test_html_and_svg_are_never_shown_inline(
    client: AppClient, db: Database, personas: Personas
) -> None:
    admin = bearer(personas.admin)
    code = await code_of(db, personas.tickets["karel"])
    for name, mime, data in (
        ("page.html", "text/html", b"<script>alert(document.cookie)</script>"),
        ("logo.svg", "image/svg+xml", b"<svg onload='alert(1)'/>"),
    ):
        attachment = (await upload(client, admin, code, data, name, mime)).json()
        response = await client.get(f"{API}/attachments/{attachment['id']}", headers=admin)
        assert response.headers["content-type"].startswith(mime)
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["x-content-type-options"] == "nosniff"


# ---- replies, notes, forwards ---------------------------------------------------------------------


async def test_failed_reply_changes_nothing(
    client: AppClient, db: Database, runtime: Runtime, personas: Personas
) -> None:
    admin = bearer(personas.admin)
    karel = await code_of(db, personas.tickets["karel"])
    eva = await code_of(db, personas.tickets["eva"])
    foreign = (await upload(client, admin, eva, PDF, "quote.pdf")).json()
    response = await client.post(
        f"{API}/tickets/{karel}/replies",
        json={"text": "Here", "attachment_ids": [foreign["id"]]},
        headers=admin,
    )
    assert response.status_code == 422
    assert "attachment_ids" in response.json()["error"]["fields"]
    unknown = await client.post(
        f"{API}/tickets/{karel}/replies", json={"text": "x", "bcc": []}, headers=admin
    )
    assert unknown.status_code == 422
    assert await count(db, MessageGroup) == 0
    assert await count(db, OutgoingMail) == 0
    assert (await client.get(f"{API}/tickets/{karel}", headers=admin)).json()["status"] == "new"


async def test_reply_to_a_closed_ticket_is_a_conflict(
    client: AppClient, db: Database, runtime: Runtime, personas: Personas
) -> None:
    code = await code_of(db, personas.tickets["karel"])
    for status in (Status.RESOLVED, Status.CLOSED):
        async with runtime.uow(system_actor(Origin.API)) as uow:
            await status_actions.set_ticket_status(uow, code=code, status=status)
    response = await client.post(
        f"{API}/tickets/{code}/replies", json={"text": "Hello?"}, headers=bearer(personas.admin)
    )
    assert response.status_code == 409
    assert "status" in response.json()["error"]["fields"]


async def test_note_and_forward(
    client: AppClient, db: Database, runtime: Runtime, personas: Personas
) -> None:
    sara = bearer(personas.support_agent)
    code = await code_of(db, personas.tickets["karel"])
    async with runtime.uow(system_actor(Origin.MAIL)) as uow:
        await thread_actions.add_customer_message(uow, code=code, text="Printer error 49")
    note = await client.post(f"{API}/tickets/{code}/notes", json={"text": "Needs a technician"}, headers=sara)
    assert note.status_code == 201, note.text
    assert (note.json()["kind"], note.json()["is_internal"]) == ("internal_note", True)
    forward = await client.post(
        f"{API}/tickets/{code}/forwards",
        json={"to": ["tech@service.test"], "text": "Please help"},
        headers=sara,
    )
    assert forward.status_code == 201, forward.text
    assert forward.json()["recipients"] == {"to": ["tech@service.test"]}
    assert [m["body"] for m in forward.json()["messages"]] == ["Please help", "Printer error 49"]
    mails = await count(db, OutgoingMail)
    assert mails == 1  # the forward; the note mails nothing
    thread = (await client.get(f"{API}/tickets/{code}/thread", headers=sara)).json()["items"]
    assert [g["kind"] for g in thread] == ["incoming_email", "internal_note", "forward"]
    assert thread[0]["author"]["contact_id"] == personas.contact_public_ids["karel"]
    bad = await client.post(f"{API}/tickets/{code}/forwards", json={"to": ["not an address"]}, headers=sara)
    assert bad.status_code == 422


async def test_thread_page_query_count_is_constant(
    client: AppClient, db: Database, runtime: Runtime, personas: Personas
) -> None:
    admin = bearer(personas.admin)
    code = await code_of(db, personas.tickets["karel"])

    async def add_groups(number: int) -> None:
        for index in range(number):
            attachment = (
                await upload(client, admin, code, f"file {index}".encode(), f"{index}.txt", "text/plain")
            ).json()
            async with runtime.uow(system_actor(Origin.MAIL)) as uow:
                await thread_actions.add_customer_message(uow, code=code, text=f"customer {index}")
            note = await client.post(
                f"{API}/tickets/{code}/notes",
                json={"text": f"note {index}", "attachment_ids": [attachment["id"]]},
                headers=admin,
            )
            assert note.status_code == 201

    async def queries_for_page() -> int:
        with counting_queries(db) as statements:
            response = await client.get(f"{API}/tickets/{code}/thread", params={"limit": 100}, headers=admin)
        assert response.status_code == 200
        return len(statements)

    await add_groups(1)
    few = await queries_for_page()
    await add_groups(10)
    assert await queries_for_page() == few


async def test_upload_with_a_session_and_either_csrf_form(
    client: AppClient, db: Database, runtime: Runtime, personas: Personas
) -> None:
    """The web app signs in with a cookie; the CSRF token comes as a header or as a form field (then
    the CSRF check has read the body already, and the file comes from its copy)."""
    code = await code_of(db, personas.tickets["karel"])
    assert (await login(client, personas.support_agent.email, PASSWORD)).status_code == 201
    token = (await csrf(client))[CSRF_HEADER]
    url = f"{API}/tickets/{code}/attachments"
    by_header = await client.post(
        url, files={"file": ("a.txt", b"by header", "text/plain")}, headers={CSRF_HEADER: token}
    )
    by_field = await client.post(
        url, files={"file": ("b.txt", b"by field", "text/plain")}, data={"_csrf_token": token}
    )
    without = await client.post(url, files={"file": ("c.txt", b"no token", "text/plain")})
    assert by_header.status_code == by_field.status_code == 201, (by_header.text, by_field.text)
    assert without.status_code == 403
    for response, content in ((by_header, b"by header"), (by_field, b"by field")):
        download = await client.get(f"{API}/attachments/{response.json()['id']}")
        assert download.content == content
    assert len(blob_files(runtime)) == 2
