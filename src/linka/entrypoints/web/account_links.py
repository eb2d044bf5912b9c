"""Signing in without a password yet: asking for a password-reset link, choosing a new password from it,
and accepting an invitation. The pages answer at the addresses the mails link to (`/reset-password`,
`/accept-invitation`, built by `accounts.credentials`) and at `/password/reset` and `/invitation`.
The steps are the API's (`api/passwords.py`, `api/invitations.py`), rate limits included; afterwards the
agent is signed in through the same step as the sign-in form, so two-factor still applies."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter

from linka.core.errors import Invalid, RateLimited, Unauthorized
from linka.core.i18n import Translator
from linka.domains.accounts import credentials, passwords
from linka.domains.accounts.models import Agent
from linka.domains.accounts.tokens import Purpose, TokenError, TokenExpired, TokenUsed
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.api.invitations import accept_invitation_with_link
from linka.entrypoints.api.passwords import ask_for_password_reset, reset_password_with_link
from linka.entrypoints.api.session import sign_in_with_password
from linka.entrypoints.web.auth import LANGUAGE_COOKIE, current_url, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.form_errors import field_errors
from linka.entrypoints.web.profile import rate_limit_text
from linka.entrypoints.web.templating import page

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
Token = Annotated[str | None, QueryParameter(name="token", required=False, max_length=2000)]
RESET_PATHS = ["/reset-password", "/password/reset"]
INVITATION_PATHS = ["/accept-invitation", "/invitation"]


def _translator(request: Request[Any, Any, Any], agent: Agent | None) -> Translator:
    """The language chosen on these pages, else the agent's (their mail was in it), else the browser's."""
    if agent is not None and LANGUAGE_COOKIE not in request.cookies:
        return Translator(agent.language, runtime_of(request).settings.default_timezone)
    return translator_for(request, None)


def _plain(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any],
    *,
    translator: Translator | None = None,
    status: int = 200,
) -> Response[Any]:
    # `path` with the token: the language switch comes back to this page with it.
    token = context.get("token")
    path = f"{request.url.path}?{urlencode({'token': token})}" if token else current_url(request)
    return page(
        request,
        template,
        {**context, "path": path},
        actor=None,
        translator=translator,
        status_code=status,
    )


def _link_problem(t: Translator, error: TokenError) -> str:
    if isinstance(error, TokenExpired):
        return t.gettext("This link has expired. Ask for a new one.")
    if isinstance(error, TokenUsed):
        return t.gettext("This link was already used. Sign in, or ask for a new link.")
    return t.gettext("This link is not valid. Check that the whole link from the email was opened.")


async def _agent_of(request: Request[Any, Any, Any], purpose: Purpose, token: str | None) -> Agent:
    runtime = runtime_of(request)
    if not token:
        raise TokenError("this link is not valid")
    async with runtime.db.read_session() as session:
        return await credentials.agent_of_link(session, links=runtime.links, purpose=purpose, token=token)


def _bad_link(request: Request[Any, Any, Any], error: TokenError, purpose: Purpose) -> Response[Any]:
    t = translator_for(request, None)
    return _plain(
        request,
        "auth/link_problem.html",
        {"problem": _link_problem(t, error), "purpose": purpose.value},
        status=400,
    )


async def _sign_in_after(request: Request[Any, Any, Any], agent: Agent, password: str) -> Response[Any]:
    """Sign in with the password just chosen, through the sign-in form's own step."""
    try:
        step, _agent = await sign_in_with_password(request, email=agent.email, password=password)
    except (Unauthorized, RateLimited):
        return redirect(request, "/login")
    if step is credentials.LoginStep.TWO_FACTOR:
        return redirect(request, "/login/two-factor")
    if step is credentials.LoginStep.TWO_FACTOR_SETUP:
        return redirect(request, "/profile/two-factor")
    return redirect(request, "/tickets")


def _password_errors(t: Translator, error: Invalid) -> dict[str, str]:
    """The domain's reasons, in the page's language around the (English) detail of the policy."""
    errors = field_errors(error, t)
    if "password" in errors:
        errors["password"] = t.gettext("This password cannot be used: it %(detail)s.") % {
            "detail": errors["password"]
        }
    if "name" in errors:
        errors["name"] = t.gettext("Enter your name.")
    return errors


# ---- forgotten password -------------------------------------------------------------------------


@get("/password/forgot")
async def forgot_password_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return _plain(request, "auth/forgot_password.html", {"email": "", "error": "", "sent": False})


@post("/password/forgot")
async def forgot_password(
    request: Request[Any, Any, Any], data: Annotated[dict[str, str], Form]
) -> Response[Any]:
    """The same answer whether or not the email is an agent's: the page never tells who has an account."""
    t = translator_for(request, None)
    email = data.get("email", "").strip()
    if not email or len(email) > 254:
        context = {"email": email, "error": t.gettext("Enter your email."), "sent": False}
        return _plain(request, "auth/forgot_password.html", context, status=422)
    try:
        await ask_for_password_reset(request, email)
    except RateLimited as limited:
        context = {"email": email, "error": rate_limit_text(t, limited), "sent": False}
        return _plain(request, "auth/forgot_password.html", context, status=429)
    hours = max(1, runtime_of(request).links.password_reset_max_age // 3600)
    return _plain(
        request, "auth/forgot_password.html", {"email": email, "error": "", "sent": True, "hours": hours}
    )


# ---- a new password from the link ---------------------------------------------------------------


def _reset_form(
    request: Request[Any, Any, Any],
    token: str,
    t: Translator,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    context = {"token": token, "errors": errors or {}, "min_length": passwords.MIN_LENGTH}
    return _plain(request, "auth/reset_password.html", context, translator=t, status=status)


@get(RESET_PATHS)
async def reset_password_page(request: Request[Any, Any, Any], token: Token = None) -> Response[Any]:
    try:
        agent = await _agent_of(request, Purpose.PASSWORD_RESET, token)
    except TokenError as error:
        return _bad_link(request, error, Purpose.PASSWORD_RESET)
    return _reset_form(request, token or "", _translator(request, agent))


@post(RESET_PATHS)
async def reset_password(
    request: Request[Any, Any, Any], data: Annotated[dict[str, str], Form]
) -> Response[Any]:
    token, password = data.get("token", ""), data.get("password", "")
    t = translator_for(request, None)
    if password != data.get("password_again", ""):
        return _reset_form(request, token, t, {"password_again": t.gettext("The two passwords differ.")}, 422)
    try:
        agent = await reset_password_with_link(request, token=token, password=password)
    except TokenError as error:
        return _bad_link(request, error, Purpose.PASSWORD_RESET)
    except Invalid as error:
        return _reset_form(request, token, t, _password_errors(t, error), 422)
    except RateLimited as limited:
        return _reset_form(request, token, t, {"password": rate_limit_text(t, limited)}, 429)
    return await _sign_in_after(request, agent, password)


# ---- accepting an invitation --------------------------------------------------------------------


def _invitation_form(
    request: Request[Any, Any, Any],
    token: str,
    name: str,
    t: Translator,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    context = {"token": token, "name": name, "errors": errors or {}, "min_length": passwords.MIN_LENGTH}
    return _plain(request, "auth/invitation.html", context, translator=t, status=status)


@get(INVITATION_PATHS)
async def invitation_page(request: Request[Any, Any, Any], token: Token = None) -> Response[Any]:
    try:
        agent = await _agent_of(request, Purpose.INVITATION, token)
    except TokenError as error:
        return _bad_link(request, error, Purpose.INVITATION)
    return _invitation_form(request, token or "", agent.name, _translator(request, agent))


@post(INVITATION_PATHS)
async def accept_invitation(
    request: Request[Any, Any, Any], data: Annotated[dict[str, str], Form]
) -> Response[Any]:
    token, password, name = data.get("token", ""), data.get("password", ""), data.get("name", "")
    t = translator_for(request, None)
    if password != data.get("password_again", ""):
        errors = {"password_again": t.gettext("The two passwords differ.")}
        return _invitation_form(request, token, name, t, errors, 422)
    try:
        agent = await accept_invitation_with_link(request, token=token, password=password, name=name)
    except TokenError as error:
        return _bad_link(request, error, Purpose.INVITATION)
    except Invalid as error:
        return _invitation_form(request, token, name, t, _password_errors(t, error), 422)
    except RateLimited as limited:
        return _invitation_form(request, token, name, t, {"password": rate_limit_text(t, limited)}, 429)
    return await _sign_in_after(request, agent, password)


routes = [
    forgot_password_page,
    forgot_password,
    reset_password_page,
    reset_password,
    invitation_page,
    accept_invitation,
]
