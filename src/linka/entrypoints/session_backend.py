"""Litestar's server-side sessions, minus one cost: its backend stores an empty session (a database
row and a cookie) for every request that has none — every API-key call, every anonymous page. Here a
session is stored only once something was put in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession

# Put in the request scope (`rotate_session_id(scope)`) when someone signs in: the session is then stored
# under a new id whatever cookie came with the request, and the old id's data is dropped. Without it, a
# session id planted in a victim's browser would become a signed-in session the planter knows
# (session fixation): Litestar's backend otherwise keeps any id the cookie names.
_ROTATE = "linka_rotate_session_id"
_NEW_ID = "linka_new_session_id"


def rotate_session_id(scope: Any) -> None:
    scope[_ROTATE] = True


class LinkaSessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        fresh = cast(dict[str, Any], connection.scope).get(_NEW_ID)
        return fresh if isinstance(fresh, str) else super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        if scope_session is not Empty and not scope_session:
            return
        scope = cast(dict[str, Any], connection.scope)
        if scope.get(_ROTATE) and _NEW_ID not in scope:
            old = connection.cookies.get(self.config.key)
            if old and old != "null":
                await self.delete(old, store=self.config.get_store_from_app(scope["app"]))
            scope[_NEW_ID] = self.generate_session_id()
        await super().store_in_message(scope_session, message, connection)


@dataclass
class LinkaSessionConfig(ServerSideSessionConfig):
    _backend_class = LinkaSessionBackend
