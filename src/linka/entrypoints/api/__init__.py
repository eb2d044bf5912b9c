"""REST API /api/v1: thin handlers that parse, call one action or query, and serialise."""

from litestar import Router

from linka.entrypoints.api import (
    agents,
    api_keys,
    companies,
    contacts,
    departments,
    invitations,
    me,
    passwords,
    roles,
    session,
    two_factor,
)

# GET /me is served by me.py (it adds departments and permissions), so session.py's own is left out.
_session_routes = [handler for handler in session.routes if handler is not session.me]

api_router = Router(
    path="/api/v1",
    route_handlers=[
        *_session_routes,
        *two_factor.routes,
        *passwords.routes,
        *invitations.routes,
        *api_keys.routes,
        *me.routes,
        *agents.routes,
        *roles.routes,
        *departments.routes,
        *contacts.routes,
        *companies.routes,
    ],
)
