"""Two-factor sign-in on the agent's profile: set it up (a secret shown once, confirmed with a code) and
turn it off with the password. When the workspace requires two-factor and the agent has none, every
other page leads here, and this page alone accepts such a session (like the API's enrolment endpoints)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide

from linka.core.errors import Conflict, Forbidden, Invalid, RateLimited
from linka.core.permissions import Actor, Origin
from linka.domains.accounts import credentials, queries
from linka.domains.accounts.auth import TWO_FACTOR_SETUP
from linka.entrypoints.api.auth import optional_actor, runtime_of
from linka.entrypoints.api.two_factor import confirm_own_two_factor, disable_own_two_factor
from linka.entrypoints.web.auth import SignInRequired, WebActor, current_url, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.profile import DONE_MESSAGES, rate_limit_text
from linka.entrypoints.web.templating import page

EnrollingActor = NamedDependency[Actor]


async def provide_enrolling_web_actor(request: Request[Any, Any, Any]) -> Actor:
    """A signed-in agent, or one whose session may only set up two-factor."""
    actor = await optional_actor(request, Origin.WEB, allow_two_factor_setup=True)
    if actor is None:
        raise SignInRequired(current_url(request))
    return actor


ENROLLING = {"enrolling_actor": Provide(provide_enrolling_web_actor)}


def setup_only(request: Request[Any, Any, Any]) -> bool:
    """Whether this session is good for nothing but setting up two-factor."""
    return bool("session" in request.scope and request.session and request.session.get(TWO_FACTOR_SETUP))


def grouped(secret: str) -> str:
    """The secret in groups of four, as people type it into an authenticator app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


async def two_factor_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    *,
    enrolment: tuple[str, str] | None = None,
    confirming: bool = False,
    flash: str = "",
    kind: str = "ok",
    status: int = 200,
) -> Response[Any]:
    async with runtime_of(request).db.read_session() as session:
        me = await queries.show_me(session, actor)
        required = await credentials.two_factor_required(session)
    context: dict[str, Any] = {
        "me": me,
        "two_factor_required": required,
        "setup_only": setup_only(request),
        "secret": grouped(enrolment[0]) if enrolment else None,
        "otpauth_uri": enrolment[1] if enrolment else None,
        "confirming": confirming or enrolment is not None,
    }
    if context["setup_only"]:
        context["languages"] = []  # the plain layout's switch is for visitors; the agent's language holds
    if flash:
        context.update({"flash": flash, "flash_kind": kind})
    return page(request, "profile/two_factor.html", context, actor=actor, status_code=status)


@get("/profile/two-factor", dependencies=ENROLLING)
async def show_two_factor(request: Request[Any, Any, Any], enrolling_actor: EnrollingActor) -> Response[Any]:
    t = translator_for(request, enrolling_actor)
    done = DONE_MESSAGES.get(f"two_factor_{request.query_params.get('done', '')}")
    return await two_factor_page(request, enrolling_actor, flash=t.gettext(done) if done else "")


@post("/profile/two-factor/start", dependencies=ENROLLING)
async def start_two_factor(request: Request[Any, Any, Any], enrolling_actor: EnrollingActor) -> Response[Any]:
    """A new secret, shown on this answer only; it is in force once a code confirms it."""
    t = translator_for(request, enrolling_actor)
    try:
        async with runtime_of(request).uow(enrolling_actor) as uow:
            enrolment = await credentials.start_two_factor(uow)
    except Conflict:
        message = t.gettext("Two-factor sign-in is already on.")
        return await two_factor_page(request, enrolling_actor, flash=message, kind="warning", status=409)
    return await two_factor_page(request, enrolling_actor, enrolment=enrolment)


@post("/profile/two-factor/confirm", dependencies=ENROLLING)
async def confirm_two_factor(
    request: Request[Any, Any, Any], enrolling_actor: EnrollingActor
) -> Response[Any]:
    t = translator_for(request, enrolling_actor)
    code = str((await request.form()).get("code", "")).replace(" ", "")
    was_setup_only = setup_only(request)
    try:
        await confirm_own_two_factor(request, enrolling_actor, code)
    except Conflict:
        return redirect(request, "/profile/two-factor")
    except Invalid:
        message = t.gettext("That code is not right. Use the current code from your authenticator app.")
        return await two_factor_page(
            request, enrolling_actor, confirming=True, flash=message, kind="error", status=422
        )
    except RateLimited as limited:
        return await two_factor_page(
            request,
            enrolling_actor,
            confirming=True,
            flash=rate_limit_text(t, limited),
            kind="error",
            status=429,
        )
    # This session is now fully signed in; one that could only enrol goes on to work.
    return redirect(request, "/tickets" if was_setup_only else "/profile/two-factor?done=on")


@post("/profile/two-factor/disable")
async def disable_two_factor(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    t = translator_for(request, actor)
    password = str((await request.form()).get("password", ""))
    try:
        await disable_own_two_factor(request, actor, password)
    except Invalid:
        message = t.gettext("The password is not right.")
        return await two_factor_page(request, actor, flash=message, kind="error", status=422)
    except RateLimited as limited:
        return await two_factor_page(
            request, actor, flash=rate_limit_text(t, limited), kind="error", status=429
        )
    except Forbidden:  # the workspace requires two-factor
        message = t.gettext("Two-factor sign-in is required in this workspace; it cannot be turned off.")
        return await two_factor_page(request, actor, flash=message, kind="error", status=403)
    return redirect(request, "/profile/two-factor?done=off")


routes = [show_two_factor, start_two_factor, confirm_two_factor, disable_two_factor]
