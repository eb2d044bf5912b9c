"""Signing in and out of the agent app: password, then the two-factor code when it is on. The steps
are the API's (`api/session.py`), so rate limits and session rotation are the same everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter

from linka.core.errors import Invalid, RateLimited, Unauthorized
from linka.core.i18n import supported
from linka.domains.accounts import credentials
from linka.entrypoints.api.session import (
    pending_two_factor_agent,
    sign_in_with_password,
    sign_in_with_two_factor_code,
)
from linka.entrypoints.web.auth import LANGUAGE_COOKIE, safe_next, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.templating import page

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
NextUrl = Annotated[str | None, QueryParameter(name="next", required=False)]


def _login_page(
    request: Request[Any, Any, Any], *, next_url: str, email: str = "", error: str = "", status: int = 200
) -> Response[Any]:
    return page(
        request,
        "auth/login.html",
        {"next": next_url, "email": email, "error": error},
        actor=None,
        status_code=status,
    )


@get("/login", name="login")
async def login_page(request: Request[Any, Any, Any], next_url: NextUrl = None) -> Response[Any]:
    return _login_page(request, next_url=safe_next(next_url))


def _rate_limit_message(request: Request[Any, Any, Any], error: RateLimited) -> str:
    t = translator_for(request, None)
    minutes = max(1, (error.retry_after + 59) // 60)
    return t.ngettext(
        "Too many attempts. Try again in %(num)s minute.",
        "Too many attempts. Try again in %(num)s minutes.",
        minutes,
    ) % {"num": minutes}


@post("/login")
async def login_submit(
    request: Request[Any, Any, Any], data: Annotated[dict[str, str], Form], next_url: NextUrl = None
) -> Response[Any]:
    t = translator_for(request, None)
    email, password = data.get("email", "").strip(), data.get("password", "")
    target = safe_next(data.get("next") or next_url)
    if not email or not password:
        return _login_page(
            request,
            next_url=target,
            email=email,
            error=t.gettext("Enter your email and password."),
            status=422,
        )
    try:
        step, _agent = await sign_in_with_password(request, email=email, password=password)
    except Unauthorized:
        message = t.gettext("The email or password is not right.")
        return _login_page(request, next_url=target, email=email, error=message, status=401)
    except RateLimited as error:
        return _login_page(
            request, next_url=target, email=email, error=_rate_limit_message(request, error), status=429
        )
    if step is credentials.LoginStep.TWO_FACTOR:
        return redirect(request, f"/login/two-factor?next={target}")
    if step is credentials.LoginStep.TWO_FACTOR_SETUP:
        return redirect(request, "/profile/two-factor")
    return redirect(request, target)


@get("/login/two-factor")
async def two_factor_page(request: Request[Any, Any, Any], next_url: NextUrl = None) -> Response[Any]:
    if pending_two_factor_agent(request) is None:
        return redirect(request, "/login")
    return page(request, "auth/two_factor.html", {"next": safe_next(next_url), "error": ""}, actor=None)


@post("/login/two-factor")
async def two_factor_submit(
    request: Request[Any, Any, Any], data: Annotated[dict[str, str], Form]
) -> Response[Any]:
    t = translator_for(request, None)
    target = safe_next(data.get("next"))
    error = ""
    try:
        await sign_in_with_two_factor_code(request, data.get("code", "").strip())
    except (Unauthorized, Invalid):
        if pending_two_factor_agent(request) is None:
            return redirect(request, "/login")
        error = t.gettext("That code is not right. Use the current code from your authenticator app.")
    except RateLimited as limited:
        error = _rate_limit_message(request, limited)
    if error:
        return page(
            request, "auth/two_factor.html", {"next": target, "error": error}, actor=None, status_code=401
        )
    return redirect(request, target)


@post("/logout")
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    request.clear_session()
    return redirect(request, "/login")


@post("/language")
async def choose_language(
    request: Request[Any, Any, Any], data: Annotated[dict[str, str], Form]
) -> Response[Any]:
    """The language of the pages before sign-in (a signed-in agent's comes from their profile)."""
    language = supported(data.get("language")) or "en"
    response = redirect(request, safe_next(data.get("next"), default="/login"))
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


routes = [login_page, login_submit, two_factor_page, two_factor_submit, logout, choose_language]
