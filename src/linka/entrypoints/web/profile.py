"""The signed-in agent's own profile: language, time zone, name, signature, password, API keys,
notifications and their availability in each of their departments. Two-factor sign-in has its own page
(`profile_two_factor.py`). Every change is an accounts action, the same the API calls."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from litestar import Request, Response, get, post
from msgspec import UNSET

from linka.core.errors import Invalid, RateLimited
from linka.core.i18n import N_, Translator
from linka.core.permissions import Actor
from linka.domains.accounts import agent_actions, credentials, passwords, queries
from linka.domains.accounts.department_actions import set_own_department_availability
from linka.domains.accounts.schemas import NotificationSettings
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.api.passwords import change_own_password
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.contacts import IdPath
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.form_errors import field_errors
from linka.entrypoints.web.templating import page

# Offered first in the time zone list: where Linka's teams and their customers mostly are.
COMMON_TIMEZONES = (
    "Europe/Prague",
    "Europe/Bratislava",
    "Europe/Budapest",
    "Europe/Vienna",
    "Europe/Berlin",
    "Europe/Warsaw",
    "Europe/London",
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
)
DETAILS = ("name", "language", "timezone", "signature")
NOTIFICATIONS = ("assigned_browser", "assigned_email")
SERVICES = ("tickets", "chats", "calls", "paused")
SCOPES = {"read": ["read"], "write": ["read", "write"]}


@cache
def timezone_choices() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(common zones, every other IANA zone alphabetically)."""
    everything = available_timezones()
    common = tuple(zone for zone in COMMON_TIMEZONES if zone in everything)
    rest = tuple(sorted(zone for zone in everything if zone not in common and not zone.startswith("posix/")))
    return common, rest


def rate_limit_text(t: Translator, error: RateLimited) -> str:
    minutes = max(1, (error.retry_after + 59) // 60)
    return t.ngettext(
        "Too many attempts. Try again in %(num)s minute.",
        "Too many attempts. Try again in %(num)s minutes.",
        minutes,
    ) % {"num": minutes}


async def profile_context(request: Request[Any, Any, Any], actor: Actor) -> dict[str, Any]:
    """Everything the profile page shows, read in a fixed number of queries."""
    assert actor.agent_id is not None
    async with runtime_of(request).db.read_session() as session:
        me = await queries.show_me(session, actor)
        memberships = await queries.own_memberships(session, actor)
        keys = await credentials.api_keys_of(session, actor, actor.agent_id)
        notifications = await queries.notification_settings_of(session, actor.agent_id)
        required = await credentials.two_factor_required(session)
    common, rest = timezone_choices()
    return {
        "me": me,
        "memberships": memberships,
        "api_keys": keys,
        "notifications": notifications,
        "two_factor_required": required,
        "common_timezones": common,
        "other_timezones": rest,
        "min_password_length": passwords.MIN_LENGTH,
        "errors": {},
        "values": {},
        "new_key": None,
    }


def profile_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    context: dict[str, Any],
    *,
    flash: str = "",
    kind: str = "ok",
    status: int = 200,
) -> Response[Any]:
    if flash:
        context.update({"flash": flash, "flash_kind": kind})
    return page(request, "profile/index.html", context, actor=actor, status_code=status)


# What a finished change says on the page it leads back to (`?done=<key>`).
DONE_MESSAGES = {
    "details": N_("Your profile is saved."),
    "password": N_("Your password is changed. Your other sessions are signed out."),
    "notifications": N_("Your notification settings are saved."),
    "availability": N_("Your availability is saved."),
    "revoked": N_("The API key is revoked."),
    "two_factor_on": N_("Two-factor sign-in is on."),
    "two_factor_off": N_("Two-factor sign-in is off."),
}


@get("/profile")
async def profile(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    t = translator_for(request, actor)
    context = await profile_context(request, actor)
    done = DONE_MESSAGES.get(request.query_params.get("done", ""))
    return profile_page(request, actor, context, flash=t.gettext(done) if done else "")


@post("/profile/details")
async def save_details(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    """Name, language, time zone and signature: each section's form sends only its own fields."""
    form = await request.form()
    sent = {name: str(form[name]) for name in DETAILS if name in form}
    try:
        async with runtime_of(request).uow(actor) as uow:
            await agent_actions.update_me(uow, **{name: sent.get(name, UNSET) for name in DETAILS})
    except Invalid as error:
        t = translator_for(request, actor)
        context = await profile_context(request, actor)
        context.update({"errors": field_errors(error, t), "values": sent})
        return profile_page(
            request, actor, context, flash=t.gettext("Some fields need attention."), kind="error", status=422
        )
    # The next page is built for the agent as they are now: a new language shows at once.
    anchor = next(iter(sent), "details")
    return redirect(request, f"/profile?done=details#{anchor}")


@post("/profile/password")
async def change_password(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    form = await request.form()
    t = translator_for(request, actor)
    current, new = str(form.get("current_password", "")), str(form.get("new_password", ""))
    try:
        await change_own_password(request, actor, current_password=current, new_password=new)
    except Invalid as error:
        errors = field_errors(error, t)
        if "current_password" in errors:
            errors["current_password"] = t.gettext("The current password is not right.")
        context = await profile_context(request, actor)
        context["errors"] = errors
        return profile_page(
            request,
            actor,
            context,
            flash=t.gettext("The password was not changed."),
            kind="error",
            status=422,
        )
    except RateLimited as limited:
        context = await profile_context(request, actor)
        return profile_page(
            request, actor, context, flash=rate_limit_text(t, limited), kind="error", status=429
        )
    return redirect(request, "/profile?done=password#password")


@post("/profile/notifications")
async def save_notifications(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    form = await request.form()
    settings = NotificationSettings(**{name: name in form for name in NOTIFICATIONS})
    async with runtime_of(request).uow(actor) as uow:
        await agent_actions.set_notification_settings(uow, settings=settings)
    return redirect(request, "/profile?done=notifications#notifications")


@post("/profile/departments/{department_id:str}/availability")
async def save_department_availability(
    request: Request[Any, Any, Any], actor: WebActor, department_id: IdPath
) -> Response[Any]:
    form = await request.form()
    flags = {name: name in form for name in SERVICES}
    async with runtime_of(request).uow(actor) as uow:
        department = await queries.department_by_public_id(uow.session, department_id)
        await set_own_department_availability(uow, department_id=department.id, **flags)
    return redirect(request, "/profile?done=availability#departments")


@post("/profile/api-keys")
async def create_api_key(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    """A new key; its token is on this answer only (the page is not reached again by a redirect)."""
    form = await request.form()
    t = translator_for(request, actor)
    name, scope = str(form.get("key_name", "")), str(form.get("key_scope", "read"))
    assert actor.agent_id is not None
    try:
        async with runtime_of(request).uow(actor) as uow:
            key, token = await credentials.create_api_key(
                uow, agent_id=actor.agent_id, name=name, scopes=SCOPES.get(scope, [])
            )
    except Invalid as error:
        context = await profile_context(request, actor)
        errors = {
            "key_scope" if field == "scopes" else f"key_{field}": text
            for field, text in field_errors(error, t).items()
        }
        context.update({"errors": errors, "values": {"key_name": name, "key_scope": scope}})
        return profile_page(
            request, actor, context, flash=t.gettext("The API key was not created."), kind="error", status=422
        )
    context = await profile_context(request, actor)
    context["new_key"] = {"name": key.name, "token": token}
    message = t.gettext("The API key is created. Copy it now: it is not shown again.")
    return profile_page(request, actor, context, flash=message, status=201)


@post("/profile/api-keys/{key_id:str}/revoke")
async def revoke_api_key(request: Request[Any, Any, Any], actor: WebActor, key_id: IdPath) -> Response[Any]:
    assert actor.agent_id is not None
    async with runtime_of(request).uow(actor) as uow:
        await credentials.revoke_api_key(uow, agent_id=actor.agent_id, key_public_id=key_id)
    return redirect(request, "/profile?done=revoked#api-keys")


routes = [
    profile,
    save_details,
    change_password,
    save_notifications,
    save_department_availability,
    create_api_key,
    revoke_api_key,
]
