"""Files from the visitor's side over real HTTP and sockets: an upload from the customer's page becomes a
file line both sides see, the visitor fetches it with their token (nobody else's token works), files of
a type a browser or system would run and files over 10 MB are refused with nothing kept, and the CORS
answers name only the button's allowed origins."""

from __future__ import annotations

import base64
import hashlib
import secrets

import httpx

from linka.entrypoints.runtime import Runtime
from tests.conftest import bearer
from tests.entrypoints.realtime.conftest import agent_socket
from tests.entrypoints.widget.chat_helpers import (
    SITE,
    VisitorSocket,
    agent_line,
    configure_button,
    set_online,
    visitor_socket,
)
from tests.entrypoints.widget.visitor_checks import attachments_with, stored_lines
from tests.personas import Personas
from tests.served_app import Served
from tests.served_app import served as served

# A real 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


async def upload(
    served: Served,
    button: str,
    visitor: VisitorSocket | str,
    name: str,
    content: bytes,
    *,
    key: str | None = None,
    origin: str | None = SITE,
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    token = visitor if isinstance(visitor, str) else visitor.welcome["token"]
    async with httpx.AsyncClient(base_url=served.url, timeout=60) as http:
        return await http.post(
            f"/widget/files/{button}",
            params={"token": token, "key": key or secrets.token_hex(8)},
            files={"file": (name, content, content_type)},
            headers={"Origin": origin} if origin else {},
        )


async def fetch(served: Served, url: str, **params: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=served.url) as http:
        return await http.get(url, params=params)


def nothing_kept(runtime: Runtime, content: bytes) -> str:
    """The blob of `content` is not in the store, nor is any half-written file."""
    sha256 = hashlib.sha256(content).hexdigest()
    assert not runtime.blobs.exists(sha256)
    temp = runtime.blobs.root / "tmp"
    assert not (temp.exists() and any(temp.iterdir())), list(temp.iterdir())
    return sha256


async def test_a_picture_becomes_a_file_line_both_sides_see_and_only_its_visitor_fetches(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    await set_online(runtime, personas.support_agent)
    async with (
        agent_socket(served, personas.support_agent) as sara,
        visitor_socket(served, button) as visitor,
        visitor_socket(served, button) as stranger,
    ):
        chat = await visitor.start("Here is a screenshot")
        await sara.next_of("chat_ring", chat=chat["id"])
        await sara.send({"type": "chat_accept", "chat": chat["id"]})
        await visitor.next_state("active")

        response = await upload(served, button, visitor, "Screen shot.PNG", PNG, key="file-1")
        assert response.status_code == 201, response.text
        assert response.headers["access-control-allow-origin"] == SITE
        seq = response.json()["seq"]

        line = await visitor.next_line(kind="file")
        assert (line["seq"], line["key"], line["author"], line["text"]) == (
            seq,
            "file-1",
            "visitor",
            "Screen shot.PNG",
        )
        file = line["file"]
        assert (file["name"], file["size"], file["type"]) == ("Screen shot.PNG", len(PNG), "image/png")
        assert file["url"].startswith("/widget/files/")
        attachment = file["url"].rsplit("/", 1)[1]

        heard = await agent_line(sara, chat["id"], kind="file")
        assert heard["seq"] == seq
        assert heard["file"]["url"] == f"/api/v1/attachments/{attachment}"
        assert visitor.welcome["token"] not in str(heard)

        # The same upload resent after a lost answer: the same number, stored once.
        again = await upload(served, button, visitor, "Screen shot.PNG", PNG, key="file-1")
        assert (again.status_code, again.json()) == (201, {"seq": seq})

        mine = await fetch(served, file["url"], token=visitor.welcome["token"])
        assert mine.status_code == 200
        assert (mine.content, mine.headers["content-type"]) == (PNG, "image/png")
        for token in (stranger.welcome["token"], "a-token-nobody-was-given-0123"):
            assert (await fetch(served, file["url"], token=token)).status_code == 404
        async with httpx.AsyncClient(base_url=served.url) as http:
            by_agent = await http.get(heard["file"]["url"], headers=bearer(personas.support_agent))
            assert (by_agent.status_code, by_agent.content) == (200, PNG)
            sales = await http.get(heard["file"]["url"], headers=bearer(personas.sales_agent))
            assert sales.status_code in (403, 404)

    files = await stored_lines(runtime, chat["id"], kind="file")
    assert [(line.position, line.client_key, line.body) for line in files] == [
        (seq, "file-1", "Screen shot.PNG")
    ]
    stored = await attachments_with(runtime, hashlib.sha256(PNG).hexdigest())
    assert [(a.public_id, a.filename, a.mime_type, a.size) for a in stored] == [
        (attachment, "Screen shot.PNG", "image/png", len(PNG))
    ]
    assert files[0].attachment_id == stored[0].id


async def test_files_a_browser_or_system_would_run_are_refused_and_nothing_is_kept(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    async with visitor_socket(served, button) as visitor:
        chat = await visitor.start("Let me send you something")
        for name, content in (
            ("setup.exe", b"MZ\x90\x00 not really a program " + secrets.token_bytes(16)),
            ("page.html", b"<script>alert(1)</script>" + secrets.token_hex(8).encode()),
            ("photo.png.exe", b"MZ" + secrets.token_bytes(32)),
            ("README", b"no suffix at all " + secrets.token_bytes(8)),
            ("image.svg", b"<svg onload='alert(1)'/>" + secrets.token_hex(8).encode()),
        ):
            response = await upload(served, button, visitor, name, content, content_type="image/png")
            assert response.status_code == 415, (name, response.text)
            assert response.json()["error"]["code"] == "file_type"
            assert response.headers["access-control-allow-origin"] == SITE
            sha256 = nothing_kept(runtime, content)
            assert await attachments_with(runtime, sha256) == []
    assert await stored_lines(runtime, chat["id"], kind="file") == []


async def test_a_file_of_10_mb_is_taken_and_one_over_is_refused_with_nothing_kept(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    async with visitor_socket(served, button) as visitor:
        chat = await visitor.start("A big log")
        largest = secrets.token_bytes(1024) * (10 * 1024)  # 10 MiB: more than Litestar's default body
        taken = await upload(served, button, visitor, "largest.pdf", largest)
        assert taken.status_code == 201, taken.text
        assert runtime.blobs.exists(hashlib.sha256(largest).hexdigest())
        content = secrets.token_bytes(1024) * (10 * 1024) + b"!"  # 10 MB and one byte
        response = await upload(served, button, visitor, "huge.pdf", content)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "file_too_large"
        sha256 = nothing_kept(runtime, content)
        assert await attachments_with(runtime, sha256) == []
    files = await stored_lines(runtime, chat["id"], kind="file")
    assert [line.body for line in files] == ["largest.pdf"]


async def test_uploads_without_a_running_chat_or_from_elsewhere_are_refused_and_nothing_is_kept(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    async with visitor_socket(served, button) as visitor:
        content = b"%PDF-1.4 " + secrets.token_bytes(64)

        no_chat = await upload(served, button, visitor, "invoice.pdf", content)
        assert (no_chat.status_code, no_chat.json()["error"]["code"]) == (400, "no_chat")
        nothing_kept(runtime, content)

        chat = await visitor.start("Hello")
        await visitor.send({"type": "end"})
        await visitor.next_state("missed")
        ended = await upload(served, button, visitor, "invoice.pdf", content)
        assert (ended.status_code, ended.json()["error"]["code"]) == (409, "chat_ended")
        nothing_kept(runtime, content)

        unknown = await upload(served, button, "a-token-nobody-was-given-0123", "invoice.pdf", content)
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (403, "unknown_visitor")
        elsewhere = await upload(
            served, button, visitor, "invoice.pdf", content, origin="https://evil.example"
        )
        assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (403, "origin_not_allowed")
        assert "access-control-allow-origin" not in elsewhere.headers
        nobody = await upload(served, "cb_nosuchbutton", visitor, "invoice.pdf", content)
        assert (nobody.status_code, nobody.json()["error"]["code"]) == (404, "unknown_button")

        await configure_button(runtime, personas, file_uploads=False)
        again = await visitor.start("Hello again")
        switched_off = await upload(served, button, visitor, "invoice.pdf", content)
        assert (switched_off.status_code, switched_off.json()["error"]["code"]) == (403, "no_files")
        nothing_kept(runtime, content)
    for public_id in (chat["id"], again["id"]):
        assert await stored_lines(runtime, public_id, kind="file") == []


async def test_cors_answers_name_only_the_buttons_allowed_origins(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    async with httpx.AsyncClient(base_url=served.url) as http:
        for origin in (SITE, "http://localhost"):
            preflight = await http.options(
                f"/widget/files/{button}",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                },
            )
            assert preflight.status_code in (200, 204), preflight.text
            assert preflight.headers.get("access-control-allow-origin") == origin, preflight.headers
            assert "POST" in preflight.headers["access-control-allow-methods"]
            assert "Origin" in preflight.headers["vary"]
        for origin in ("https://evil.example", "http://127.0.0.1:8080"):
            preflight = await http.options(
                f"/widget/files/{button}",
                headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
            )
            assert "access-control-allow-origin" not in preflight.headers, origin
        unknown = await http.options(
            "/widget/files/cb_nosuchbutton",
            headers={"Origin": SITE, "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in unknown.headers


async def test_a_body_that_does_not_say_its_length_stops_at_the_chat_limit_not_the_attachment_one(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    """Sent chunked (no Content-Length): the upload is cut off as soon as it passes 10 MB."""
    button = personas.support_chat_button.public_id
    async with visitor_socket(served, button) as visitor:
        await visitor.start("A chunked upload")
        boundary = "linka-test-boundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        chunk = secrets.token_bytes(1024 * 1024)

        async def body():  # type: ignore[no-untyped-def]
            yield head
            for _ in range(12):  # 12 MB, under the 25 MB attachment limit
                yield chunk
            yield f"\r\n--{boundary}--\r\n".encode()

        async with httpx.AsyncClient(base_url=served.url, timeout=60) as http:
            response = await http.post(
                f"/widget/files/{button}",
                params={"token": visitor.welcome["token"], "key": "chunked"},
                content=body(),
                headers={"Origin": SITE, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
        assert "content-length" not in {name.lower() for name in response.request.headers}
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "file_too_large"
        nothing_kept(runtime, chunk * 12)
