"""Typed errors raised by actions and queries; entry points map them to HTTP (see entrypoints/api/errors.py)."""

from __future__ import annotations


class LinkaError(Exception):
    """Base of every error a user may see. `code` is stable and machine-readable."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Invalid(LinkaError):
    """Input that cannot be accepted. Names the field(s) at fault."""

    code = "invalid"
    status = 422

    def __init__(self, field: str, message: str, *, more: dict[str, str] | None = None) -> None:
        fields = {field: message, **(more or {})}
        super().__init__(f"{field}: {message}", fields=fields)


class Conflict(Invalid):
    """The input clashes with existing data (a duplicate email, the last owner…)."""

    code = "conflict"
    status = 409


class NotFound(LinkaError):
    code = "not_found"
    status = 404

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class Forbidden(LinkaError):
    code = "forbidden"
    status = 403

    def __init__(self, message: str = "you may not do this") -> None:
        super().__init__(message)


class Unauthorized(LinkaError):
    code = "unauthorized"
    status = 401

    def __init__(self, message: str = "sign in first") -> None:
        super().__init__(message)


class RateLimited(LinkaError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
