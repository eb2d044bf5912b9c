"""Errors on pages answer with pages: sign-in redirects, 404/403 pages, and for htmx requests the
headers htmx understands (HX-Redirect), so a fragment never shows a JSON error."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from linka.core.errors import Forbidden, LinkaError, NotFound
from linka.entrypoints.web.auth import SignInRequired, TwoFactorSetupRequired, sign_in_url, translator_for
from linka.entrypoints.web.form_errors import error_text
from linka.entrypoints.web.templating import page


def redirect(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    """A redirect that also works for htmx requests (which would otherwise swap the target page in)."""
    if request.headers.get("hx-request") == "true":
        return Response(b"", status_code=204, headers={"HX-Redirect": url})
    return Redirect(url, status_code=HTTP_303_SEE_OTHER)


def sign_in_required(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    return redirect(request, sign_in_url(exc.next_url))


def two_factor_setup_required(request: Request[Any, Any, Any], _: TwoFactorSetupRequired) -> Response[Any]:
    return redirect(request, "/profile/two-factor")


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, NotFound | NotFoundException):
        status, template = 404, "errors/404.html"
    elif isinstance(exc, Forbidden | PermissionDeniedException):
        status, template = 403, "errors/403.html"
    elif isinstance(exc, LinkaError):
        status, template = exc.status, "errors/error.html"
    elif isinstance(exc, HTTPException):
        status, template = exc.status_code, "errors/error.html"
    else:
        raise exc
    if isinstance(exc, LinkaError):
        message = error_text(exc, translator_for(request, None))
    else:
        message = str(getattr(exc, "detail", ""))
    return page(request, template, {"status": status, "message": message}, actor=None, status_code=status)


WEB_EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    SignInRequired: sign_in_required,
    TwoFactorSetupRequired: two_factor_setup_required,
    LinkaError: error_page,
    NotFoundException: error_page,
    PermissionDeniedException: error_page,
}
