"""The front door: `/` leads to the tickets; the agent's availability switch in the top bar."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from linka.core.permissions import Actor
from linka.domains.accounts import agent_actions
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.templating import page

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@get("/")
async def home(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    return redirect(request, "/tickets")


@post("/availability")
async def set_availability(
    request: Request[Any, Any, Any], actor: WebActor, data: Annotated[dict[str, str], Form]
) -> Response[Any]:
    async with runtime_of(request).uow(actor) as uow:
        agent = await agent_actions.update_me(uow, availability=data.get("availability", ""))
    updated = Actor(**{**actor.__dict__, "availability": agent.availability})
    if request.headers.get("hx-request") == "true":
        return page(request, "partials/availability.html", actor=updated)
    return redirect(request, request.headers.get("referer") or "/tickets")


routes = [home, set_availability]
