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
        # field → (untranslated template, values): what the web app translates; the API sends `fields`.
        self.templates: dict[str, tuple[str, dict[str, object]]] = {}


class Invalid(LinkaError):
    """Input that cannot be accepted. Names the field(s) at fault."""

    code = "invalid"
    status = 422

    def __init__(
        self,
        field: str,
        message: str,
        *,
        values: dict[str, object] | None = None,
        more: dict[str, str] | None = None,
    ) -> None:
        """`message` is English; with `values` it is a template with `%(name)s` placeholders (a msgid
        the web app translates, see entrypoints/web/form_errors.py)."""
        text = message % values if values else message
        fields = {field: text, **(more or {})}
        super().__init__(f"{field}: {text}", fields=fields)
        self.templates = {name: (other, {}) for name, other in (more or {}).items()}
        self.templates[field] = (message, dict(values or {}))


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
