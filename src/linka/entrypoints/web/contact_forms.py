"""The contact and company forms of the agent app: reading what a form sent into the arguments the
contacts actions take, custom fields by kind, and the errors shown next to the fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import FormMultiDict

from linka.core.errors import Invalid
from linka.core.i18n import Translator
from linka.domains.fields import values as field_values
from linka.domains.fields.models import CustomField
from linka.entrypoints.web.form_errors import field_errors

FIELD_PREFIX = "field."


@dataclass
class FieldWidget:
    """One custom field as the form shows it."""

    key: str
    label: str
    kind: str
    options: list[str]
    required: bool
    value: Any  # as the domain reads it: str, number, bool, list of options, or None


@dataclass
class FormState:
    """What a form shows: the values (as sent, or as stored) and the errors by form field name."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def lines(text: str) -> list[str]:
    """One item a line (emails, phones, domains), blank lines and surrounding spaces ignored."""
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def label_of(definition: CustomField, language: str) -> str:
    return definition.translations.get(language) or definition.label


def widgets(
    definitions: list[CustomField], values: dict[str, object], translator: Translator
) -> list[FieldWidget]:
    return [
        FieldWidget(
            key=definition.key,
            label=label_of(definition, translator.language),
            kind=definition.kind,
            options=list(definition.options or []),
            required=definition.required,
            value=values.get(definition.key),
        )
        for definition in definitions
    ]


def field_values_from_form(form: FormMultiDict, definitions: list[CustomField]) -> dict[str, object]:
    """Every custom field of the form, typed for the domain (an empty input clears the value; an
    unticked checkbox is false)."""
    found: dict[str, object] = {}
    for definition in definitions:
        name = FIELD_PREFIX + definition.key
        kind = field_values.Kind(definition.kind)
        if kind is field_values.Kind.CHECKBOX:
            found[definition.key] = name in form
        elif kind is field_values.Kind.MULTI_SELECT:
            found[definition.key] = [str(value) for value in form.getall(name, []) if str(value)]
        else:
            raw = str(form.get(name, "") or "")
            found[definition.key] = field_values.from_text(kind, raw) if raw.strip() else None
    return found


def form_errors(error: Invalid, t: Translator) -> dict[str, str]:
    """The domain's field names (`fields.<key>`, `company_id`) as the form names its inputs."""
    errors: dict[str, str] = {}
    for name, message in field_errors(error, t).items():
        if name.startswith("fields."):
            name = FIELD_PREFIX + name.removeprefix("fields.")
        elif name == "company_id":
            name = "company"
        errors[name] = message
    return errors


def text_of_value(value: object) -> str:
    """A custom field value as an input shows it."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
