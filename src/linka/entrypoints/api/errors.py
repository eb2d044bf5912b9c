"""Every error leaves as JSON: {"error": {"code", "message", "fields"}} with the right 4xx."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from linka.core.errors import LinkaError, RateLimited

log = logging.getLogger(__name__)

_MSGSPEC_PATH = re.compile(r"at `\$\.?([^`]*)`")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def linka_error_handler(_: Request[Any, Any, Any], exc: LinkaError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return Response(error_body(exc.code, exc.message, exc.fields), status_code=exc.status, headers=headers)


def _field_of(item: dict[str, Any]) -> str:
    message = str(item.get("message", ""))
    for pattern in (_UNKNOWN_FIELD, _MISSING_FIELD):
        found = pattern.search(message)
        if found:
            prefix = _MSGSPEC_PATH.search(message)
            path = prefix.group(1) if prefix and prefix.group(1) else ""
            return f"{path}.{found.group(1)}" if path else found.group(1)
    found = _MSGSPEC_PATH.search(message)
    if found and found.group(1):
        return found.group(1).replace("[", ".").replace("]", "")
    return str(item.get("key") or "body")


def _clean(message: str) -> str:
    return _MSGSPEC_PATH.sub("", message).strip(" -")


def validation_error_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    fields: dict[str, str] = {}
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            fields[_field_of(item)] = _clean(str(item.get("message", "invalid")))
    detail = str(exc.detail)
    if "JSON is malformed" in detail or "Malformed" in detail or ("decode" in detail.lower() and not fields):
        return Response(
            error_body("malformed", "the request body is not valid JSON", fields), status_code=400
        )
    message = "; ".join(f"{k}: {v}" for k, v in fields.items()) or detail
    return Response(error_body("invalid", message, fields), status_code=422)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_media_type",
        429: "rate_limited",
    }.get(exc.status_code, "error")
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        code = "csrf_failed"
    if isinstance(exc, NotAuthorizedException):
        code = "unauthorized"
    detail = str(exc.detail)
    if exc.status_code == 400 and ("JSON" in detail or "decode" in detail.lower() or "Malformed" in detail):
        return Response(error_body("malformed", "the request body is not valid JSON"), status_code=400)
    return Response(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        error_body("internal", "something went wrong on our side; nothing was saved"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    LinkaError: linka_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
