"""`/widget/preview/{button}`: a page of Linka itself carrying the chat button, to try it before it goes
on a site (and the page the browser tests chat from). Linka's own origin is always allowed, and the
widget runs under the app's strict Content-Security-Policy (its styles are a constructed stylesheet)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import Parameter
from litestar.response import Template

from linka.core.errors import NotFound
from linka.domains.chat import button_queries
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.templating import page


@get("/widget/preview/{button:str}", include_in_schema=False)
async def preview_page(
    request: Request[Any, Any, Any],
    button: str,
    page_number: Annotated[int, Parameter(query="page", ge=1, le=99)] = 1,
) -> Template:
    async with runtime_of(request).db.read_session() as session:
        found = await button_queries.enabled_button_by_public_id(session, button[:24])
    if found is None:
        raise NotFound("no such chat button")
    return page(
        request,
        "widget/preview.html",
        {"button": found, "page_number": page_number},
        actor=None,
    )


routes = [preview_page]
