"""REST API /api/v1: thin handlers that parse, call one action or query, and serialise."""

from litestar import Router

from linka.entrypoints.api import (
    agents,
    answers,
    api_keys,
    chat_buttons,
    chats,
    companies,
    contacts,
    custom_fields,
    dead_letters,
    departments,
    invitations,
    mailboxes,
    me,
    outgoing_mail,
    passwords,
    roles,
    session,
    tags,
    ticket_drafts,
    ticket_fields,
    ticket_settings,
    ticket_statuses,
    ticket_thread,
    tickets,
    two_factor,
    views,
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
        *tickets.routes,
        *ticket_thread.routes,
        *ticket_drafts.routes,
        *answers.routes,
        *views.routes,
        *ticket_settings.routes,
        *tags.routes,
        *ticket_fields.routes,
        *ticket_statuses.routes,
        *custom_fields.routes,
        *mailboxes.routes,
        *dead_letters.routes,
        *outgoing_mail.routes,
        *chat_buttons.routes,
        *chats.routes,
    ],
)
