"""The permission matrix: every API operation × owner, admin, plain agent, custom role, anonymous and
a read-scope API key, each on a fresh database, asserting the exact status (reading rows on both
engines, writing rows on SQLite: see `_cases`). A new operation without
a row here fails `test_every_operation_is_in_the_matrix`.

Who is who (tests/personas.py): the plain agent is Sára (solver in Support); the custom-role agent is
Kamila, a plain agent whose role "Department admin" grants manage_departments and nothing else, and who
belongs to no department; the read key belongs to admin Adam.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from linka.config import Settings
from linka.core import clock
from linka.core.db import Database
from linka.core.ids import public_id
from linka.core.permissions import Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions as accounts
from linka.domains.accounts import credentials, role_actions
from linka.domains.mail import actions as mail_actions
from linka.domains.mail.schemas import ImapIn
from linka.domains.tickets import actions as tickets
from linka.domains.tickets import status_changes
from linka.domains.tickets.models import SavedView
from linka.domains.tickets.statuses import Status
from linka.entrypoints.asgi import create_app
from linka.entrypoints.runtime import Runtime, build_runtime
from tests.conftest import SECRET_KEY, AppClient, bearer
from tests.entrypoints.api.auth_helpers import csrf, login
from tests.personas import PASSWORD, Personas

ACTORS = ("owner", "admin", "agent", "custom", "anonymous", "read_key")


def expect(owner: int, admin: int, agent: int, custom: int, anonymous: int, read_key: int) -> dict[str, int]:
    return dict(zip(ACTORS, (owner, admin, agent, custom, anonymous, read_key), strict=True))


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    statuses: dict[str, int]
    body: dict[str, Any] | None = None
    # Where a list must not show something to some actors: (actor, text that must be absent).
    absent: tuple[tuple[str, str], ...] = field(default=())
    # Credential changes need a password sign-in: people act through a session cookie, and an API key
    # (the read key here) is refused whatever its scope, so a leaked key cannot take over an account.
    signed_in: bool = False
    # A multipart upload (field → (filename, bytes, MIME type)) sent instead of the JSON body.
    files: dict[str, tuple[str, bytes, str]] | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


NEW_PASSWORD = "a different long password 42"

MATRIX: list[Row] = [
    # Signing in and out, password reset and invitations: open to anyone (with a CSRF token).
    Row(
        "POST",
        "/auth/login",
        expect(201, 201, 201, 201, 201, 201),
        {"email": "{agent_email}", "password": PASSWORD},
    ),
    Row("POST", "/auth/two-factor", expect(401, 401, 401, 401, 401, 401), {"code": "123456"}),
    Row("POST", "/auth/logout", expect(204, 204, 204, 204, 204, 204)),
    Row("POST", "/auth/password-reset", expect(202, 202, 202, 202, 202, 202), {"email": "{agent_email}"}),
    Row(
        "POST",
        "/auth/password-reset/confirm",
        expect(400, 400, 400, 400, 400, 400),
        {"token": "forged.token", "password": NEW_PASSWORD},
    ),
    Row(
        "POST",
        "/auth/accept-invitation",
        expect(400, 400, 400, 400, 400, 400),
        {"token": "forged.token", "password": NEW_PASSWORD},
    ),
    # Me: every agent manages their own profile, password, two-factor and keys; a read key only reads.
    Row("GET", "/me", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/me", expect(200, 200, 200, 200, 401, 403), {"signature": "S pozdravem"}),
    Row(
        "POST",
        "/me/password",
        expect(204, 204, 204, 204, 401, 403),
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        signed_in=True,
    ),
    Row("POST", "/me/two-factor", expect(201, 201, 201, 201, 401, 403), signed_in=True),
    # Confirming with nothing enrolled names the field; turning two-factor off is idempotent.
    Row(
        "POST",
        "/me/two-factor/confirm",
        expect(422, 422, 422, 422, 401, 403),
        {"code": "123456"},
        signed_in=True,
    ),
    Row(
        "DELETE",
        "/me/two-factor",
        expect(204, 204, 204, 204, 401, 403),
        {"password": PASSWORD},
        signed_in=True,
    ),
    Row("GET", "/me/api-keys", expect(200, 200, 200, 200, 401, 200)),
    Row(
        "POST",
        "/me/api-keys",
        expect(201, 201, 201, 201, 401, 403),
        {"name": "script", "scopes": ["read"]},
        signed_in=True,
    ),
    Row("DELETE", "/me/api-keys/{my_key}", expect(204, 204, 204, 204, 401, 403)),
    # Agents: everyone may look colleagues up (a public view); only managers of agents change them.
    Row("GET", "/agents", expect(200, 200, 200, 200, 401, 200), absent=(("agent", "viktor@linka.test"),)),
    Row(
        "POST",
        "/agents",
        expect(201, 201, 403, 403, 401, 403),
        {"email": "new@linka.test", "name": "Nová Agentka"},
    ),
    Row("GET", "/agents/{agent}", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/agents/{agent}", expect(200, 200, 403, 403, 401, 403), {"name": "Sára Dvořáková"}),
    Row("POST", "/agents/{agent}/deactivate", expect(200, 200, 403, 403, 401, 403)),
    Row("POST", "/agents/{inactive}/reactivate", expect(200, 200, 403, 403, 401, 403)),
    Row("POST", "/agents/{invited}/invite", expect(202, 202, 403, 403, 401, 403)),
    # Turning off someone's two-factor is idempotent: 204 whether or not it was on.
    Row("DELETE", "/agents/{agent}/two-factor", expect(204, 204, 403, 403, 401, 403)),
    # Someone else's keys (the supervisor's): managers of agents only. The read key is admin Adam's.
    Row("GET", "/agents/{other}/api-keys", expect(200, 200, 403, 403, 401, 200)),
    Row(
        "POST",
        "/agents/{other}/api-keys",
        expect(201, 201, 403, 403, 401, 403),
        {"name": "x", "scopes": ["read"]},
        signed_in=True,
    ),
    Row("DELETE", "/agents/{other}/api-keys/{other_key}", expect(204, 204, 403, 403, 401, 403)),
    # Roles: manage_roles (or manage_agents, to hand them out) only.
    Row("GET", "/roles", expect(200, 200, 403, 403, 401, 200)),
    Row("POST", "/roles", expect(201, 201, 403, 403, 401, 403), {"name": "QA", "permissions": ["review_qa"]}),
    Row("GET", "/roles/{role}", expect(200, 200, 403, 403, 401, 200)),
    Row("PATCH", "/roles/{role}", expect(200, 200, 403, 403, 401, 403), {"description": "runs departments"}),
    Row("DELETE", "/roles/{unused_role}", expect(204, 204, 403, 403, 401, 403)),
    # Departments: everyone reads; manage_departments (the custom role has it) changes them.
    Row("GET", "/departments", expect(200, 200, 200, 200, 401, 200)),
    Row("POST", "/departments", expect(201, 201, 403, 201, 401, 403), {"name": "Billing"}),
    Row("GET", "/departments/{sales}", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/departments/{sales}", expect(200, 200, 403, 200, 401, 403), {"description": "obchod"}),
    Row("DELETE", "/departments/{empty_department}", expect(204, 204, 403, 204, 401, 403)),
    Row("GET", "/departments/{sales}/members", expect(200, 200, 200, 200, 401, 200)),
    Row(
        "PUT",
        "/departments/{sales}/members/{agent}",
        expect(200, 200, 403, 200, 401, 403),
        {"role": "reader"},
    ),
    Row("DELETE", "/departments/{support}/members/{agent}", expect(204, 204, 403, 204, 401, 403)),
    # Workspace security policy: everyone may read it, only owners change it.
    Row("GET", "/settings/security", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/settings/security", expect(200, 403, 403, 403, 401, 403), {"require_two_factor": False}),
    # Contacts: visible through tickets one may see (Sára sees Karel of a Support ticket, not Petr who has
    # none; Kamila, in no department, sees nobody); admins see all.
    Row(
        "GET",
        "/contacts",
        expect(200, 200, 200, 200, 401, 200),
        absent=(("agent", "Petr Svoboda"), ("agent", "Hana"), ("custom", "Karel")),
    ),
    Row(
        "POST",
        "/contacts",
        expect(201, 201, 201, 201, 401, 403),
        {"name": "Nový Kontakt", "emails": ["novy@example.cz"]},
    ),
    Row("GET", "/contacts/{karel}", expect(200, 200, 200, 404, 401, 200)),
    Row("PATCH", "/contacts/{karel}", expect(200, 200, 200, 404, 401, 403), {"notes": "VIP"}),
    Row("DELETE", "/contacts/{petr}", expect(204, 204, 404, 404, 401, 403)),
    # Merging needs both contacts visible: Petr is invisible to both agents, so it is "not found".
    Row("POST", "/contacts/{petr}/merge", expect(200, 200, 404, 404, 401, 403), {"into": "{hana}"}),
    # Companies: seen through their visible contacts; changed with manage_contacts.
    Row("GET", "/companies", expect(200, 200, 200, 200, 401, 200), absent=(("custom", "Acme"),)),
    Row("POST", "/companies", expect(201, 201, 403, 403, 401, 403), {"name": "Nová firma"}),
    Row("GET", "/companies/{acme}", expect(200, 200, 200, 404, 401, 200)),
    # Acme is invisible to Kamila (no tickets of hers), so she gets "not found" before "forbidden".
    Row("PATCH", "/companies/{acme}", expect(200, 200, 403, 404, 401, 403), {"notes": "key account"}),
    Row("DELETE", "/companies/{acme}", expect(204, 204, 403, 404, 401, 403)),
    Row("GET", "/companies/{acme}/contacts", expect(200, 200, 200, 404, 401, 200)),
    # Tickets (the lead): Karel's ticket is in Support, where Sára is a solver; Kamila sees no ticket.
    Row(
        "GET",
        "/tickets",
        expect(200, 200, 200, 200, 401, 200),
        absent=(("agent", "Quote for 20 seats"), ("custom", "Tiskárna")),
    ),
    Row("GET", "/tickets/counts", expect(200, 200, 200, 200, 401, 200)),
    Row(
        "POST",
        "/tickets",
        expect(201, 201, 201, 403, 401, 403),
        {"subject": "Nový", "department": "{support}", "contact_email": "karel@acme.test"},
    ),
    Row("GET", "/tickets/{ticket}", expect(200, 200, 200, 404, 401, 200)),
    Row("PATCH", "/tickets/{ticket}", expect(200, 200, 200, 404, 401, 403), {"priority": "high"}),
    Row("POST", "/tickets/{ticket}/assign", expect(200, 200, 200, 404, 401, 403), {"agent": "{agent}"}),
    Row("POST", "/tickets/{ticket}/unassign", expect(200, 200, 200, 404, 401, 403)),
    Row(
        "POST", "/tickets/{ticket}/transfer", expect(200, 200, 200, 404, 401, 403), {"department": "{sales}"}
    ),
    Row("POST", "/tickets/{ticket}/status", expect(200, 200, 200, 404, 401, 403), {"status": "resolved"}),
    Row("POST", "/tickets/{ticket}/postpone", expect(200, 200, 200, 404, 401, 403), {"until": "{tomorrow}"}),
    # Restoring a ticket that is not in the trash is a conflict for whoever may work it.
    Row("POST", "/tickets/{ticket}/restore", expect(409, 409, 409, 404, 401, 403)),
    Row("POST", "/tickets/purge", expect(200, 403, 403, 403, 401, 403), {"codes": ["{trashed}"]}),
    Row("POST", "/tickets/{ticket}/merge", expect(200, 200, 200, 404, 401, 403), {"sources": ["{trashed}"]}),
    # Karel's ticket has no thread yet: naming a group that is not there is invalid input.
    Row("POST", "/tickets/{ticket}/split", expect(422, 422, 422, 404, 401, 403), {"group": "mg_nope"}),
    # Saved views: everyone keeps their own; Sára's private view is nobody else's business.
    Row("GET", "/views", expect(200, 200, 200, 200, 401, 200)),
    Row(
        "POST",
        "/views",
        expect(201, 201, 201, 201, 401, 403),
        {"name": "Mine", "filters": {"assignee": "me"}},
    ),
    Row("PATCH", "/views/{view}", expect(404, 404, 200, 404, 401, 403), {"name": "Renamed"}),
    Row("DELETE", "/views/{view}", expect(404, 404, 204, 404, 401, 403)),
    # Ticket settings: everyone reads them; manage_settings (owners, admins) changes them.
    Row("GET", "/settings/tickets", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/settings/tickets", expect(200, 200, 403, 403, 401, 403), {"close_resolved_after_days": 3}),
    Row("POST", "/tickets/next", expect(200, 200, 200, 200, 401, 403)),
    Row("GET", "/tickets/{ticket}/history", expect(200, 200, 200, 404, 401, 200)),
    Row(
        "POST",
        "/tickets/mass",
        expect(200, 200, 200, 200, 401, 403),
        {"codes": ["{ticket}"], "action": "priority", "priority": "high"},
    ),
    # Tags, custom fields and custom statuses (helper B): everyone reads the definitions, manage_settings
    # changes them; tagging and setting fields need a ticket one may work (Kamila sees none: 404).
    Row("GET", "/tags", expect(200, 200, 200, 200, 401, 200)),
    Row("POST", "/tags", expect(201, 201, 403, 403, 401, 403), {"name": "VIP", "is_public": True}),
    Row("PATCH", "/tags/{tag}", expect(200, 200, 403, 403, 401, 403), {"colour": "#dc2626"}),
    Row("DELETE", "/tags/{tag}", expect(204, 204, 403, 403, 401, 403)),
    Row("PUT", "/tickets/{ticket}/tags/{tag}", expect(200, 200, 200, 404, 401, 403)),
    Row("DELETE", "/tickets/{ticket}/tags/{tag}", expect(204, 204, 204, 404, 401, 403)),
    Row("GET", "/custom-fields", expect(200, 200, 200, 200, 401, 200)),
    Row(
        "POST",
        "/custom-fields",
        expect(201, 201, 403, 403, 401, 403),
        {"entity": "ticket", "key": "seats", "label": "Seats", "kind": "number"},
    ),
    Row("GET", "/custom-fields/{custom_field}", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/custom-fields/{custom_field}", expect(200, 200, 403, 403, 401, 403), {"label": "Order"}),
    Row("DELETE", "/custom-fields/{custom_field}", expect(204, 204, 403, 403, 401, 403)),
    Row(
        "PATCH",
        "/tickets/{ticket}/fields",
        expect(200, 200, 200, 404, 401, 403),
        {"fields": {"order_no": "A-1"}},
    ),
    Row("GET", "/ticket-statuses", expect(200, 200, 200, 200, 401, 200)),
    Row(
        "POST",
        "/ticket-statuses",
        expect(201, 201, 403, 403, 401, 403),
        {"name": "Escalated", "category": "open"},
    ),
    Row("PATCH", "/ticket-statuses/{custom_status}", expect(200, 200, 403, 403, 401, 403), {"position": 3}),
    Row("DELETE", "/ticket-statuses/{custom_status}", expect(204, 204, 403, 403, 401, 403)),
    # The thread (helper C): Karel's ticket (Support) has a customer's message and a file; Kamila sees
    # no ticket (404) and the read key writes nothing (403).
    Row("GET", "/tickets/{ticket}/thread", expect(200, 200, 200, 404, 401, 200)),
    Row("POST", "/tickets/{ticket}/replies", expect(201, 201, 201, 404, 401, 403), {"text": "Dobrý den"}),
    Row("POST", "/tickets/{ticket}/notes", expect(201, 201, 201, 404, 401, 403), {"text": "Zavolat"}),
    Row(
        "POST",
        "/tickets/{ticket}/forwards",
        expect(201, 201, 201, 404, 401, 403),
        {"to": ["tech@service.test"], "text": "Please look"},
    ),
    Row(
        "POST",
        "/tickets/{ticket}/attachments",
        expect(201, 201, 201, 404, 401, 403),
        files={"file": ("note.txt", b"hello", "text/plain")},
    ),
    Row("GET", "/attachments/{attachment}", expect(200, 200, 200, 404, 401, 200)),
    # The email channel: mailboxes and dead letters are manage_channels' (admins); an email's original
    # is for whoever sees its ticket (a Support ticket: Kamila sees none).
    Row("GET", "/mailboxes", expect(200, 200, 403, 403, 401, 200), absent=(("agent", "mb_"),)),
    Row(
        "POST",
        "/mailboxes",
        expect(201, 201, 403, 403, 401, 403),
        {"name": "Billing", "address": "billing@linka.test", "department_id": "{support}"},
    ),
    Row("GET", "/mailboxes/{mailbox}", expect(200, 200, 403, 403, 401, 200)),
    Row("PATCH", "/mailboxes/{mailbox}", expect(200, 200, 403, 403, 401, 403), {"sender_name": "Podpora"}),
    Row("DELETE", "/mailboxes/{mailbox}", expect(204, 204, 403, 403, 401, 403)),
    Row(
        "POST",
        "/mailboxes/{mailbox}/backfill",
        expect(201, 201, 403, 403, 401, 403),
        {"since": "2026-01-01T00:00:00Z"},
    ),
    Row("GET", "/dead-letters", expect(200, 200, 403, 403, 401, 200)),
    Row("GET", "/dead-letters/{dead_letter}", expect(200, 200, 403, 403, 401, 200)),
    Row("GET", "/dead-letters/{dead_letter}/raw", expect(200, 200, 403, 403, 401, 200)),
    Row("POST", "/dead-letters/{dead_letter}/retry", expect(201, 201, 403, 403, 401, 403)),
    Row("DELETE", "/dead-letters/{dead_letter}", expect(204, 204, 403, 403, 401, 403)),
    Row("GET", "/tickets/{mail_ticket}/thread/{mail_group}/original", expect(200, 200, 200, 404, 401, 200)),
    Row("GET", "/tickets/{ticket}/deliveries", expect(200, 200, 200, 404, 401, 200)),
    Row("POST", "/outgoing-mail/{outgoing_mail}/retry", expect(200, 200, 200, 404, 401, 403)),
    # Answers: everyone keeps personal ones; {answer} is a Support department answer, which Sára (a
    # solver there) uses but may not change (supervisors and manage_answers do), and Kamila (in no
    # department) does not see.
    Row("GET", "/answers", expect(200, 200, 200, 200, 401, 200), absent=(("custom", "Support thanks"),)),
    Row(
        "POST",
        "/answers",
        expect(201, 201, 201, 201, 401, 403),
        {"kind": "canned", "name": "Mine", "shortcut": "mine", "body_html": "<p>Thanks</p>"},
    ),
    Row("GET", "/answers/{answer}", expect(200, 200, 200, 404, 401, 200)),
    Row("PATCH", "/answers/{answer}", expect(200, 200, 403, 404, 401, 403), {"name": "Renamed"}),
    Row("DELETE", "/answers/{answer}", expect(204, 204, 403, 404, 401, 403)),
    Row("POST", "/tickets/{ticket}/answers/{answer}/render", expect(200, 200, 200, 404, 401, 200)),
    # Drafts: one's own, on a ticket one may see (reading) or work (saving).
    Row("GET", "/tickets/{ticket}/draft", expect(200, 200, 200, 404, 401, 200)),
    Row(
        "PUT", "/tickets/{ticket}/draft", expect(200, 200, 200, 404, 401, 403), {"body_html": "<p>Dobrý</p>"}
    ),
    Row("DELETE", "/tickets/{ticket}/draft", expect(204, 204, 204, 404, 401, 403)),
    # Chat buttons and their invitation rules are manage_channels' (admins); {chat_button} is the
    # personas' Support button, {invitation_rule} a rule of it (_prepare_chat).
    Row("GET", "/chat-buttons", expect(200, 200, 403, 403, 401, 200), absent=(("agent", "cb_"),)),
    Row(
        "POST",
        "/chat-buttons",
        expect(201, 201, 403, 403, 401, 403),
        {"name": "Shop", "department_id": "{support}", "allowed_origins": ["https://shop.example"]},
    ),
    Row("GET", "/chat-buttons/{chat_button}", expect(200, 200, 403, 403, 401, 200)),
    Row("PATCH", "/chat-buttons/{chat_button}", expect(200, 200, 403, 403, 401, 403), {"ring_seconds": 40}),
    Row("DELETE", "/chat-buttons/{chat_button}", expect(204, 204, 403, 403, 401, 403)),
    Row("GET", "/chat-buttons/{chat_button}/invitation-rules", expect(200, 200, 403, 403, 401, 200)),
    Row(
        "POST",
        "/chat-buttons/{chat_button}/invitation-rules",
        expect(201, 201, 403, 403, 401, 403),
        {
            "name": "Loyal",
            "conditions": [{"field": "visits", "op": "at_least", "value": 3}],
            "message": {"en": "Hi"},
        },
    ),
    Row(
        "GET",
        "/chat-buttons/{chat_button}/invitation-rules/{invitation_rule}",
        expect(200, 200, 403, 403, 401, 200),
    ),
    Row(
        "PATCH",
        "/chat-buttons/{chat_button}/invitation-rules/{invitation_rule}",
        expect(200, 200, 403, 403, 401, 403),
        {"enabled": False},
    ),
    Row(
        "DELETE",
        "/chat-buttons/{chat_button}/invitation-rules/{invitation_rule}",
        expect(204, 204, 403, 403, 401, 403),
    ),
    Row(
        "PUT",
        "/chat-buttons/{chat_button}/invitation-rules/order",
        expect(200, 200, 403, 403, 401, 403),
        {"ids": ["{invitation_rule}"]},
    ),
    # Live chats (_prepare_live_chat): {chat} is a Support chat Sára took, {visitor} someone browsing
    # Support's site. Seeing a chat is the department's readers' (else 404); writing in it is for agents
    # in it, ending and handing over also for supervisors (admins); only an invited colleague leaves.
    Row("GET", "/chats", expect(200, 200, 200, 200, 401, 200), absent=(("custom", "ch_"),)),
    Row("GET", "/chats/{chat}", expect(200, 200, 200, 404, 401, 200)),
    Row("POST", "/chats/{chat}/lines", expect(403, 403, 201, 404, 401, 403), {"text": "Dobrý den"}),
    Row("POST", "/chats/{chat}/end", expect(200, 200, 200, 404, 401, 403)),
    Row("POST", "/chats/{chat}/transfer", expect(200, 200, 200, 404, 401, 403), {"department_id": "{sales}"}),
    Row("POST", "/chats/{chat}/invite", expect(200, 200, 200, 404, 401, 403), {"agent_id": "{other}"}),
    Row("POST", "/chats/{chat}/leave", expect(422, 422, 422, 404, 401, 403)),
    Row("GET", "/chats/visitors", expect(200, 200, 200, 200, 401, 200), absent=(("custom", "vi_"),)),
    Row("POST", "/chats/visitors/{visitor}/invite", expect(204, 204, 204, 404, 401, 403), {"text": "Hello"}),
]


async def _prepare(db: Database, personas: Personas) -> dict[str, str]:
    """Extras made through real actions: the custom-role agent and the objects rows act on."""
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        role = await role_actions.create_role(
            uow, name="Department admin", permissions=["manage_departments"]
        )
        unused = await role_actions.create_role(uow, name="Unused", permissions=["review_qa"])
        kamila = await accounts.create_agent(
            uow, email="kamila@linka.test", name="Kamila Custom", password=PASSWORD, custom_role_id=role.id
        )
        # Without passwords: neither signs in here, and argon2 would cost every case of the matrix.
        _, kamila_key = await credentials.create_api_key(
            uow, agent_id=kamila.id, name="t", scopes=["read", "write"]
        )
        invited = await accounts.create_agent(uow, email="invited@linka.test", name="Invited Iva")
        inactive = await accounts.create_agent(uow, email="gone@linka.test", name="Gone Gábor")
        empty = await accounts.create_department(uow, name="Empty")
        other_key, _ = await credentials.create_api_key(
            uow, agent_id=personas.support_supervisor.id, name="victim", scopes=["read"]
        )
        trashed = await tickets.create_ticket(
            uow,
            subject="Trashed",
            contact_id=personas.contacts["karel"],
            department_id=personas.departments["support"],
        )
        status_changes.change_status(uow, trashed, Status.DELETED)
        view = SavedView(
            public_id=public_id("vw"),
            name="Sára's",
            owner_agent_id=personas.support_agent.id,
            filters={},
            created_at=uow.now,
            updated_at=uow.now,
        )
        uow.session.add(view)
    from linka.domains.accounts import agent_actions

    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        await agent_actions.deactivate_agent(uow, agent_id=inactive.id)
    return {
        "kamila_id": str(kamila.id),
        "kamila_key": kamila_key,
        "role": role.public_id,
        "unused_role": unused.public_id,
        "invited": invited.public_id,
        "inactive": inactive.public_id,
        "empty_department": empty.public_id,
        "other_key": other_key.public_id,
        "trashed": trashed.code,
        "view": view.public_id,
        **await _prepare_settings(db),
    }


async def _prepare_settings(db: Database) -> dict[str, str]:
    """A tag, a ticket custom field and a custom status for the rows that change them (helper B)."""
    from linka.domains.fields import actions as fields_actions
    from linka.domains.tickets import custom_status_actions, tag_actions

    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        tag = await tag_actions.create_tag(uow, name="Printer")
        field = await fields_actions.create_field(
            uow, entity="ticket", key="order_no", label="Order number", kind="text"
        )
        status = await custom_status_actions.create_custom_status(
            uow, name="Waiting for parts", category="postponed"
        )
    return {"tag": tag.public_id, "custom_field": field.public_id, "custom_status": status.public_id}


async def _prepare_answers(db: Database, personas: Personas) -> dict[str, str]:
    """A Support department answer for the rows that use, change or render one."""
    from linka.domains.answers import actions as answers_actions

    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        answer = await answers_actions.create_answer(
            uow,
            kind="canned",
            name="Support thanks",
            shortcut="thanks",
            body_html="<p>Thanks, {contact.first_name}</p>",
            scope="department",
            department_id=personas.departments["support"],
        )
    return {"answer": answer.public_id}


async def _prepare_chat(db: Database, personas: Personas) -> dict[str, str]:
    """An invitation rule of the personas' Support chat button."""
    from linka.domains.chat import button_actions

    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        rule = await button_actions.create_invitation_rule(
            uow,
            button_id=personas.support_chat_button.id,
            name="Pricing",
            conditions=[{"field": "page_url", "op": "contains", "value": "pricing"}],
            message={"en": "Questions about prices?"},
        )
    return {"invitation_rule": rule.public_id}


async def _prepare_live_chat(runtime: Runtime, personas: Personas) -> dict[str, str]:
    """A visitor's chat that Sára accepted, and another visitor on the site. The visitors are marked
    seen a week ahead (a frozen clock), so they still count as online whenever a case runs."""
    from linka.core.clock import FrozenClock, use_clock
    from linka.core.permissions import Actor
    from linka.domains.accounts import agent_actions
    from linka.domains.chat import actions as chat_actions
    from linka.domains.chat import routing, visitor_actions
    from linka.domains.chat.models import ChatButton
    from tests.entrypoints.web.ticket_helpers import actor_of

    visitor_actor = Actor(origin=Origin.CHAT, name="Visitor")
    async with runtime.uow(system_actor(Origin.CHAT)) as uow:
        await agent_actions.update_agent(uow, agent_id=personas.support_agent.id, availability="online")
        await routing.keep_agents_connected(
            uow, [personas.support_agent.id], until=clock.now() + timedelta(hours=1)
        )
    visitors = []
    async with runtime.uow(visitor_actor) as uow:
        button = await uow.session.get(ChatButton, personas.support_chat_button.id)
        assert button is not None
        for url in ("https://shop.example/help", "https://shop.example/pricing"):
            visitors.append(
                await visitor_actions.record_visit(
                    uow, button=button, token=None, language="en", page={"url": url, "title": "Shop"}
                )
            )
        chat = await chat_actions.start_chat(
            uow,
            visitor_id=visitors[0].id,
            fields={"name": "Petra", "email": "petra@example.test"},
            first_key="k1",
            first_text="Help",
        )
    async with runtime.uow(await actor_of(runtime, personas.support_agent)) as uow:
        await routing.accept_chat(uow, chat_public_id=chat.public_id)
    previous = use_clock(FrozenClock(clock.now() + timedelta(days=7)))
    try:
        async with runtime.uow(visitor_actor) as uow:
            await visitor_actions.keep_visitors_seen(uow, [visitor.id for visitor in visitors])
    finally:
        use_clock(previous)
    return {"chat": chat.public_id, "visitor": visitors[1].public_id}


async def _prepare_thread(runtime: Runtime, personas: Personas) -> dict[str, str]:
    """A customer's message (to forward) and a stored file on Karel's ticket (helper C)."""
    from linka.domains.tickets import thread_actions, thread_files
    from linka.domains.tickets.thread_schemas import NewAttachment

    blob = await runtime.blobs.put_bytes(b"%PDF-1.4 invoice")
    code = personas.ticket_codes["karel"]
    async with runtime.uow(system_actor(Origin.MAIL)) as uow:
        posted = await thread_actions.add_customer_message(uow, code=code, text="Tiskárna hlásí chybu 49.")
        mail = await mail_actions.queue_ticket_mail(
            uow,
            kind="reply",
            ticket_id=posted.ticket.id,
            department_id=posted.ticket.department_id,
            group_id=posted.group.id,
            to_address="karel@acme.test",
            subject="Re",
            text="x",
        )
        attachment = await thread_files.add_attachment(
            uow,
            code=code,
            file=NewAttachment(sha256=blob.sha256, size=blob.size, filename="faktura.pdf"),
        )
    return {"attachment": attachment.public_id, "outgoing_mail": str(mail.id)}


async def _prepare_mail(runtime: Runtime, personas: Personas) -> dict[str, str]:
    """A Support mailbox (with IMAP settings), an email that made a ticket, and a dead letter."""
    from linka.domains.mail.intake import take_in_mail
    from linka.domains.tickets.thread_models import MessageGroup
    from tests.mail_helpers import add_mailbox, build_mail, rows

    mailbox = await add_mailbox(
        runtime, personas, auto_ack=False, imap=ImapIn(host="imap.linka.test", username="support")
    )
    received = await take_in_mail(runtime, build_mail(subject="Original"), source="smtp")
    letter = await take_in_mail(runtime, b"not an email", source="smtp")
    [group] = await rows(runtime.db, MessageGroup, MessageGroup.subject == "Original")
    return {
        "mailbox": mailbox.public_id,
        "mail_ticket": received.ticket_code or "",
        "mail_group": group.public_id,
        "dead_letter": letter.dead_letter_id or "",
    }


async def _own_key_id(db: Database, agent_id: int) -> str:
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        key, _ = await credentials.create_api_key(uow, agent_id=agent_id, name="to revoke", scopes=["read"])
        return key.public_id


def _cases() -> list[Any]:
    """Every row × actor on SQLite; on PostgreSQL the reading rows. Who may *do* what is decided in
    Python, the same on both engines; who may *see* what is SQL (the visibility conditions), which the
    GET rows and their absent-data checks exercise on PostgreSQL too (and the write rows' 404s use the
    same conditions). This keeps the matrix from doubling the suite's time for no extra coverage."""
    engines = {True: ("sqlite", "postgresql"), False: ("sqlite",)}
    return [
        pytest.param(engine, row, actor, id=f"{engine}-{row.label}-{actor}")
        for row in MATRIX
        for actor in ACTORS
        for engine in engines[row.method == "GET"]
    ]


@dataclass(frozen=True)
class Prepared:
    values: dict[str, str]  # what the rows' paths and bodies name
    blobs: Path  # the files the preparation stored, copied into each case's blob folder


def _preparations(row: Row) -> tuple[str, ...]:
    """What a row's database holds beyond what every row's does (_prepare, _prepare_thread)."""
    kinds = []
    if "{mailbox}" in row.path or "{dead_letter}" in row.path or "{mail_ticket}" in row.path:
        kinds.append("mail")
    if "{answer}" in row.path or row.path == "/answers":
        kinds.append("answers")
    if row.path.startswith("/chat-buttons/{chat_button}/invitation-rules/"):
        kinds.append("chat")
    if row.path.startswith("/chats"):
        kinds.append("live_chat")
    return tuple(kinds)


@pytest.fixture
async def prepared(
    request: pytest.FixtureRequest, engine_name: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Prepared] | None:
    """A case's extras are made once per worker, engine and kind of row (_preparations), through the
    real actions, into a template that each case's fresh database is copied from."""
    if "row" not in request.fixturenames:
        return None
    kinds = _preparations(request.getfixturevalue("row"))
    templates, personas = request.getfixturevalue(
        "sqlite_template" if engine_name == "sqlite" else "postgres_template"
    )

    async def prepare(url: str) -> Prepared:
        data_dir = tmp_path_factory.mktemp("matrix")
        settings = Settings(data_dir=data_dir, database_url=url, secret_key=SECRET_KEY)
        runtime = build_runtime(settings, db=Database(url))
        create_app(runtime=runtime)  # what the app adds to the runtime (event publishers) takes part
        try:
            values = await _prepare(runtime.db, personas)
            values.update(await _prepare_thread(runtime, personas))
            if "mail" in kinds:
                values.update(await _prepare_mail(runtime, personas))
            if "answers" in kinds:
                values.update(await _prepare_answers(runtime.db, personas))
            if "chat" in kinds:
                values.update(await _prepare_chat(runtime.db, personas))
            if "live_chat" in kinds:
                values.update(await _prepare_live_chat(runtime, personas))
        finally:
            await runtime.close()
        return Prepared(values, runtime.settings.effective_blob_dir)

    made: tuple[str, Prepared] = await templates.derive("matrix-" + "-".join(kinds), prepare)
    return made


@pytest.fixture
def db_template(prepared: tuple[str, Prepared] | None) -> str | None:
    return prepared[0] if prepared else None


@pytest.mark.parametrize(("engine_name", "row", "actor"), _cases())
async def test_matrix(
    row: Row, actor: str, db: Database, personas: Personas, client: AppClient, prepared: tuple[str, Prepared]
) -> None:
    ready = prepared[1]
    shutil.copytree(ready.blobs, client.app.state.runtime.settings.effective_blob_dir, dirs_exist_ok=True)
    extras = dict(ready.values)
    people = {
        "owner": (personas.owner.id, personas.owner.email),
        "admin": (personas.admin.id, personas.admin.email),
        "agent": (personas.support_agent.id, personas.support_agent.email),
        "custom": (int(extras.pop("kamila_id")), "kamila@linka.test"),
    }
    kamila_key = extras.pop("kamila_key")
    my_id = people[actor][0] if actor in people else personas.admin.id
    if actor in people and row.signed_in:
        headers = await _sign_in(client, people[actor][1])
    elif actor == "custom":
        headers = bearer(kamila_key)
    elif actor in people:
        headers = bearer(getattr(personas, {"agent": "support_agent"}.get(actor, actor)))
    elif actor == "read_key":
        headers = bearer(personas.read_key)
    else:
        headers = await csrf(client)
    if "{my_key}" in row.path:
        extras["my_key"] = await _own_key_id(db, my_id) if actor != "anonymous" else "key_unknown"
    values = {
        **extras,
        "agent": personas.support_agent.public_id,
        "agent_email": personas.support_agent.email,
        "other": personas.support_supervisor.public_id,
        "sales": personas.department_public_ids["sales"],
        "support": personas.department_public_ids["support"],
        "karel": personas.contact_public_ids["karel"],
        "petr": personas.contact_public_ids["petr"],
        "hana": personas.contact_public_ids["hana"],
        "acme": personas.company_public_ids["acme"],
        "ticket": personas.ticket_codes["karel"],
        "chat_button": personas.support_chat_button.public_id,
        "tomorrow": (clock.now() + timedelta(days=1)).isoformat(),
    }
    path = "/api/v1" + row.path.format(**values)
    body = _fill(row.body, values)
    if row.files is not None:
        response = await client.request(row.method, path, files=row.files, headers=headers)
    else:
        response = await client.request(row.method, path, json=body, headers=headers)
    expected = row.statuses[actor]
    assert response.status_code == expected, f"{row.label} as {actor}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    for who, text in row.absent:
        if who == actor:
            assert text not in response.text, f"{row.label} shows {text!r} to {actor}"


async def _sign_in(client: AppClient, email: str) -> dict[str, str]:
    response = await login(client, email, PASSWORD)
    assert response.status_code == 201, response.text
    return await csrf(client)


def _fill(body: Any, values: dict[str, str]) -> Any:
    if isinstance(body, dict):
        return {key: _fill(value, values) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, values) for value in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        return values[body[1:-1]]
    return body


def test_every_operation_is_in_the_matrix(app: Litestar) -> None:
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item in app.openapi_schema.to_schema()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    covered = {(row.method, _generic(row.path)) for row in MATRIX}
    generic_documented = {(method, _generic(path)) for method, path in documented}
    missing = sorted(generic_documented - covered)
    assert not missing, f"operations without a permission-matrix row: {missing}"


def _generic(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "{}", path)
