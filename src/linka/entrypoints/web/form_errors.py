"""Validation messages of domain actions in the agent's language.

Actions raise `Invalid(field, message, values=...)` with English text, which the REST API sends as is; the
error also keeps each field's untranslated template and values (`error.templates`), translated here through
the catalogs (the messages are extracted from the domain packages by `linka i18n`). A message without a
template (or without a translation) is shown in English.
"""

from __future__ import annotations

from linka.core.errors import LinkaError
from linka.core.i18n import Translator


def field_text(error: LinkaError, field: str, t: Translator) -> str:
    """The message of one field of `error`, translated."""
    template = error.templates.get(field)
    if template is None:
        return error.fields.get(field, "")
    message, values = template
    translated = t.gettext(message)
    if not values:
        return translated
    try:
        return translated % values
    except (KeyError, ValueError, TypeError):  # a broken catalog entry must not break the page
        return error.fields.get(field, message % values)


def field_errors(error: LinkaError, t: Translator) -> dict[str, str]:
    """field → translated message, for the messages next to a form's fields."""
    return {field: field_text(error, field, t) for field in error.fields}


def error_text(error: LinkaError, t: Translator) -> str:
    """The whole message of `error` (`field: message` for a refused field), translated."""
    if not error.fields:
        return t.gettext(error.message)
    field = next(iter(error.fields))
    if error.message != f"{field}: {error.fields[field]}":
        return error.message  # a message of its own, not built from the field (see core/errors.py)
    return f"{field}: {field_text(error, field, t)}"
