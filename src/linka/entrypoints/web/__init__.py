"""The agent and admin web app: server-rendered pages (Jinja2 + htmx + Alpine) calling the same domain
actions and queries as the API. Each module is one area; `web_router` gathers them."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from linka.entrypoints.web import (
    account_links,
    admin,
    answers,
    chats,
    chats_actions,
    chats_visitors,
    companies,
    contacts,
    home,
    inbox,
    profile,
    profile_two_factor,
    sign_in,
    ticket_actions,
    ticket_answers,
    ticket_page,
    ticket_reply,
)
from linka.entrypoints.web.auth import provide_web_actor
from linka.entrypoints.web.errors import WEB_EXCEPTION_HANDLERS

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"

web_router = Router(
    path="/",
    route_handlers=[
        *sign_in.routes,
        *home.routes,
        *inbox.routes,
        *admin.routes,
        *ticket_page.routes,
        *ticket_reply.routes,
        *ticket_answers.routes,
        *ticket_actions.routes,
        *answers.routes,
        *chats_visitors.routes,
        *chats.routes,
        *chats_actions.routes,
        *contacts.routes,
        *companies.routes,
        *profile.routes,
        *profile_two_factor.routes,
        *account_links.routes,
    ],
    dependencies={"actor": Provide(provide_web_actor)},
    exception_handlers=WEB_EXCEPTION_HANDLERS,
    include_in_schema=False,
)

static_router = create_static_files_router(
    path="/static", directories=[STATIC_DIR], include_in_schema=False, cache_control=None
)
