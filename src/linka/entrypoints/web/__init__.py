"""The agent and admin web app: server-rendered pages (Jinja2 + htmx + Alpine) calling the same domain
actions and queries as the API. Each module is one area; `web_router` gathers them."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from linka.entrypoints.web import home, sign_in
from linka.entrypoints.web.auth import provide_web_actor
from linka.entrypoints.web.errors import WEB_EXCEPTION_HANDLERS

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"

web_router = Router(
    path="/",
    route_handlers=[*sign_in.routes, *home.routes],
    dependencies={"actor": Provide(provide_web_actor)},
    exception_handlers=WEB_EXCEPTION_HANDLERS,
    include_in_schema=False,
)

static_router = create_static_files_router(
    path="/static", directories=[STATIC_DIR], include_in_schema=False, cache_control=None
)
