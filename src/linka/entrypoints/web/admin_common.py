"""What every admin page shares: the section check and tab bar, the message after a redirect, reading
form values into the API's input structs, and turning a refusal into messages next to the fields.

Every admin page calls `require_admin_section(actor, key)` first: a role without the section gets 404.
After a change a page redirects with `?done=<what>`, and the page it lands on says what happened.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import available_timezones

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template

from linka.core.errors import Invalid, LinkaError
from linka.core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, Translator
from linka.core.permissions import Actor
from linka.entrypoints.web.auth import translator_for
from linka.entrypoints.web.form_errors import error_text, field_errors
from linka.entrypoints.web.navigation import admin_sections
from linka.entrypoints.web.templating import page

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Cursor = Annotated[str | None, QueryParameter(max_length=400)]
PAGE_SIZE = 50

# What the page after a redirect says happened (`?done=<key>`); unknown keys say nothing.
DONE_MESSAGES: dict[str, str] = {
    "saved": N_("Saved."),
    "created": N_("Created."),
    "deleted": N_("Deleted."),
    "invited": N_("The invitation is on its way."),
    "deactivated": N_("The agent is deactivated: they are signed out and cannot sign in."),
    "reactivated": N_("The agent is active again."),
    "backfill": N_("Older mail will be fetched at the next poll."),
    "retried": N_("Taken in again."),
    "still_failing": N_("It failed again; the reason is updated."),
    "discarded": N_("Discarded."),
    "queued": N_("The mail is queued to be sent again."),
    "moved": N_("Moved."),
}

BASE_ROLE_LABELS: dict[str, str] = {"owner": N_("Owner"), "admin": N_("Admin"), "agent": N_("Agent")}
DEPARTMENT_ROLE_LABELS: dict[str, str] = {
    "reader": N_("Reader"),
    "solver": N_("Solver"),
    "supervisor": N_("Supervisor"),
    "manager": N_("Manager"),
}

T = TypeVar("T")

_PATH = re.compile(r"\s*-?\s*at `\$\.?([^`]*)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
# msgspec's wording, as the domain's own messages say it.
_PLAIN_REASONS = (
    (re.compile(r"^Expected `str` matching regex .*$"), "is not in the expected form"),
    (re.compile(r"^Expected `str` of length >= 1$"), "must not be empty"),
    (re.compile(r"^Expected `str` of length <= (\d+)$"), r"at most \1 characters"),
    (re.compile(r"^Expected `(?:array|object)` of length <= (\d+)$"), r"at most \1 entries"),
    (re.compile(r"^Expected `int` >= (\d+)$"), r"at least \1"),
    (re.compile(r"^Expected `int` <= (\d+)$"), r"at most \1"),
    (re.compile(r"^Expected `int`, got `\w+`$"), "a whole number"),
    (re.compile(r"^Invalid enum value .*$"), "not one of the choices"),
)


def done_url(url: str, key: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}done={key}"


def page_url(path: str, **params: str | None) -> str:
    """A list page's address with its filters (empty ones left out)."""
    kept = {name: value for name, value in params.items() if value}
    return f"{path}?{urlencode(kept)}" if kept else path


def ticked(data: Mapping[str, Any], name: str) -> bool:
    """Whether a checkbox was ticked (a plain form sends it only then)."""
    return str(data.get(name, "")).lower() in {"on", "true", "1", "yes"}


def language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


@cache
def time_zones() -> list[str]:
    """Every time zone name, for the list a time-zone field offers."""
    return sorted(available_timezones())


def problem_message(t: Translator, error: LinkaError) -> str:
    """A translated sentence saying the change was refused, followed by the reason as the domain gave it."""
    if isinstance(error, Invalid):
        generic = t.gettext("Not saved. Check the marked fields.")
    else:
        generic = t.gettext("That could not be done.")
    return f"{generic} ({error_text(error, t)})"


def admin_page(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    actor: Actor,
    section: str,
    error: LinkaError | None = None,
    status_code: int | None = None,
) -> Template:
    """An admin page: the section's tab bar, the message after a redirect or a refusal, and the fields
    a refusal names (`errors`, shown next to each field)."""
    t = translator_for(request, actor)
    flash, kind = "", "ok"
    done = request.query_params.get("done")
    if done in DONE_MESSAGES:
        flash = t.gettext(DONE_MESSAGES[done])
    if error is not None:
        flash, kind = problem_message(t, error), "error"
    return page(
        request,
        template,
        {
            "admin_nav": admin_sections(actor),
            "section": section,
            "flash": flash,
            "flash_kind": kind,
            "errors": field_errors(error, t) if error is not None else {},
            **(context or {}),
        },
        actor=actor,
        translator=t,
        status_code=status_code or (error.status if error is not None else 200),
    )


def _invalid(message: str) -> Invalid:
    """A msgspec refusal as the field it names and a short reason."""
    path = _PATH.search(message)
    field = path.group(1).replace("[...]", "") if path and path.group(1) else ""
    field = field.replace("[", ".").replace("]", "")
    missing = _MISSING.search(message)
    if missing:
        field = f"{field}.{missing.group(1)}" if field else missing.group(1)
        return Invalid(field, "is required")
    reason = _PATH.sub("", message).strip()
    for pattern, plain in _PLAIN_REASONS:
        reason = pattern.sub(plain, reason)
    return Invalid(field or "form", reason)


def checked(struct: type[T], values: Mapping[str, Any]) -> T:
    """Form values checked by the API's input struct (lengths, formats, choices): one rule for both."""
    try:
        return msgspec.convert(dict(values), struct, strict=False)
    except msgspec.ValidationError as exc:
        raise _invalid(str(exc)) from None
