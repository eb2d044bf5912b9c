"""The ASGI application: the REST API, the agent web app and its static files; the portal and sockets
mount here as they arrive."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from linka import __version__
from linka.config import Settings, get_settings
from linka.domains.accounts.sessions import DatabaseSessionStore
from linka.entrypoints.api import api_router
from linka.entrypoints.api.auth import LinkaCSRFMiddleware, provide_actor
from linka.entrypoints.api.errors import EXCEPTION_HANDLERS
from linka.entrypoints.api.guards import RejectNulMiddleware
from linka.entrypoints.api.openapi import finish_openapi_when_built
from linka.entrypoints.health import health_routes
from linka.entrypoints.realtime import socket as realtime_socket
from linka.entrypoints.realtime.backend import CHANNEL, channels_backend
from linka.entrypoints.realtime.chat_presence import ChatHeartbeat
from linka.entrypoints.realtime.hub import RealtimeHub
from linka.entrypoints.realtime.publisher import TicketEventPublisher
from linka.entrypoints.runtime import Runtime, build_runtime
from linka.entrypoints.security_headers import SecurityHeadersMiddleware
from linka.entrypoints.session_backend import LinkaSessionConfig
from linka.entrypoints.smtp.listener import start_smtp_listener
from linka.entrypoints.web import static_router, web_router
from linka.entrypoints.web.templating import template_config
from linka.entrypoints.widget import routes as widget_routes
from linka.entrypoints.worker.runner import run_worker

SESSION_COOKIE = "linka_session"
CSRF_COOKIE = "linka_csrf"
CSRF_HEADER = "x-csrf-token"


RUN_WORKER_ENV = "LINKA_RUN_WORKER"  # set by `linka serve`, not a user setting
RUN_SMTP_ENV = "LINKA_RUN_SMTP"  # likewise


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    *,
    run_worker: bool = False,
    run_smtp: bool = False,
) -> Litestar:
    settings = settings or (runtime.settings if runtime else get_settings())
    runtime = runtime or build_runtime(settings)
    secure = settings.secure_cookies
    sessions = LinkaSessionConfig(
        key=SESSION_COOKIE,
        max_age=settings.session_max_age,
        secure=secure,
        httponly=True,
        samesite="lax",
        store="sessions",
    )
    csrf = CSRFConfig(
        secret=settings.secret(),
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=secure,
        cookie_httponly=False,  # the web app's JavaScript copies it into the header
        cookie_samesite="lax",
        exclude=["/healthz", "/readyz", "/static/", "/widget/"],  # the widget has no cookies to ride
    )
    channels = ChannelsPlugin(backend=channels_backend(settings), channels=[CHANNEL])
    hub = RealtimeHub(channels)
    publisher = TicketEventPublisher(runtime.db)
    runtime.bus.add_publisher(publisher)

    heartbeat = ChatHeartbeat(runtime, hub)

    async def start_realtime() -> None:
        await hub.start()
        publisher.activate(hub.publish)
        heartbeat.start()

    async def stop_realtime() -> None:
        await heartbeat.stop()
        publisher.deactivate()
        await hub.stop()

    app = Litestar(
        route_handlers=[
            api_router,
            web_router,
            static_router,
            *realtime_socket.routes,
            *widget_routes,
            *health_routes,
        ],
        middleware=[
            SecurityHeadersMiddleware,
            RejectNulMiddleware,
            sessions.middleware,
            DefineMiddleware(LinkaCSRFMiddleware, config=csrf),
        ],
        stores={"sessions": DatabaseSessionStore(runtime.db)},
        dependencies={"actor": Provide(provide_actor)},
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Linka API",
            version=__version__,
            description="The REST API of Linka. Authenticate with `Authorization: Bearer <API key>`.",
            path="/api/v1/docs",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        template_config=template_config(),
        plugins=[channels],
        state=State({"runtime": runtime, "realtime_hub": hub, "chat_heartbeat": heartbeat}),
        lifespan=[
            *([worker_lifespan(runtime)] if run_worker else []),
            *([smtp_lifespan(runtime)] if run_smtp else []),
        ],
        on_startup=[start_realtime],
        on_shutdown=[stop_realtime, runtime.close],
        logging_config=None,
        debug=False,
    )
    finish_openapi_when_built(app)
    return app


def app_from_environment() -> Litestar:
    """Entry for `uvicorn --factory linka.entrypoints.asgi:app_from_environment` (production workers)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # /readyz asks Alembic for the current revision on every probe; its INFO lines would flood the log.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app(
        run_worker=os.environ.get(RUN_WORKER_ENV, "1") == "1",
        run_smtp=os.environ.get(RUN_SMTP_ENV, "0") == "1",
    )
    app.openapi_schema  # noqa: B018  built now: a handler it cannot document stops the server at start
    return app


def worker_lifespan(runtime: Runtime) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Runs the background worker beside the server for as long as the app lives."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(runtime, stop), name="linka-worker")
        try:
            yield
        finally:
            stop.set()
            await task

    return lifespan


def smtp_lifespan(runtime: Runtime) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Runs the SMTP listener beside the server for as long as the app lives."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        settings = runtime.settings
        listener = await start_smtp_listener(
            runtime, host=settings.smtp_host or settings.host, port=settings.smtp_port
        )
        try:
            yield
        finally:
            await listener.close()

    return lifespan
