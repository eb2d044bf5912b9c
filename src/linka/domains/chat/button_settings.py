"""Chat button settings as data: the limits, the defaults (widget texts and the pre-chat form in
English, Czech and Hungarian) and the checks of each setting, raising Invalid naming the field. Pure
functions: button_actions.py applies them; the admin pages read the limits and defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from linka.core.errors import Invalid
from linka.domains.chat.constants import (
    LANGUAGES,
    InvitationField,
    InvitationOp,
    PrechatKind,
    RoutingMethod,
)

NAME_MAX = 120
MAX_ORIGINS = 50
MAX_PRECHAT_FIELDS = 10
MAX_OPTIONS = 20
LABEL_MAX = 100
APPEARANCE_TEXT_MAX = 200
MAX_RULES = 50
MAX_CONDITIONS = 10
CONDITION_TEXT_MAX = 500
INVITATION_MESSAGE_MAX = 500
PRIORITY_RANGE = (0, 100)
PRECHAT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
COLOUR = re.compile(r"^#[0-9a-f]{6}$")
POSITIONS = ("right", "left")
APPEARANCE_TEXT_KEYS = ("title", "greeting", "offline_title", "offline_greeting")
NUMERIC_FIELDS = (InvitationField.TIME_ON_SITE, InvitationField.VISITS, InvitationField.PAGE_VIEWS)
TEXT_OPS = (InvitationOp.CONTAINS, InvitationOp.EQUALS, InvitationOp.STARTS_WITH)

DEFAULT_COLOUR = "#0b5cad"
DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Chat with us",
        "greeting": "Hello! How can we help you?",
        "offline_title": "Leave us a message",
        "offline_greeting": "Nobody is available right now. Leave a message and we will reply by email.",
    },
    "cs": {
        "title": "Napište nám",
        "greeting": "Dobrý den! S čím vám můžeme pomoci?",
        "offline_title": "Zanechte nám zprávu",
        "offline_greeting": "Právě nikdo není k dispozici. Zanechte nám zprávu a odpovíme vám e-mailem.",
    },
    "hu": {
        "title": "Írjon nekünk",
        "greeting": "Üdvözöljük! Miben segíthetünk?",
        "offline_title": "Hagyjon üzenetet",
        "offline_greeting": "Jelenleg senki sem elérhető. Hagyjon üzenetet, és e-mailben válaszolunk.",
    },
}
DEFAULT_PRECHAT_FIELDS: list[dict[str, Any]] = [
    {
        "key": "name",
        "kind": "text",
        "required": False,
        "label": {"en": "Your name", "cs": "Vaše jméno", "hu": "Az Ön neve"},
        "options": [],
    },
    {
        "key": "email",
        "kind": "email",
        "required": True,
        "label": {"en": "Your email", "cs": "Váš e-mail", "hu": "Az Ön e-mail-címe"},
        "options": [],
    },
]

# ---- checks of single settings ---------------------------------------------------------------------


def check_name(value: str) -> str:
    name = " ".join(str(value).replace("\x00", "").split())
    if not name:
        raise Invalid("name", "must not be empty")
    if len(name) > NAME_MAX:
        raise Invalid("name", "at most %(max)s characters", values={"max": NAME_MAX})
    return name


def check_range(field: str, value: Any, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(
            field, "must be a whole number from %(low)s to %(high)s", values={"low": low, "high": high}
        )
    return value


def check_choice(field: str, value: Any, choices: Sequence[str]) -> str:
    text = str(value.value if isinstance(value, RoutingMethod) else value)
    if text not in choices:
        raise Invalid(field, "must be one of %(choices)s", values={"choices": ", ".join(choices)})
    return text


def normalise_origin(value: str) -> str:
    """`scheme://host[:port]` in lower case, the port left out when it is the scheme's default; a path,
    query or credentials are refused (an origin never has them)."""
    text = value.strip().lower()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(
            "allowed_origins",
            "%(origin)s is not an origin like https://shop.example",
            values={"origin": value},
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise Invalid(
            "allowed_origins",
            "%(origin)s is not an origin like https://shop.example",
            values={"origin": value},
        )
    try:
        port = parts.port
    except ValueError:
        raise Invalid(
            "allowed_origins",
            "%(origin)s is not an origin like https://shop.example",
            values={"origin": value},
        ) from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"  # IPv6
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def check_origins(values: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        values = values.split()
    origins = list(dict.fromkeys(normalise_origin(v) for v in values if v.strip()))
    if len(origins) > MAX_ORIGINS:
        raise Invalid("allowed_origins", "at most %(max)s origins", values={"max": MAX_ORIGINS})
    return origins


def check_texts(
    field: str, value: Mapping[str, Any] | None, *, limit: int, english: bool = True
) -> dict[str, str]:
    """Text per language: only en/cs/hu, each within `limit`, English required when `english`."""
    texts: dict[str, str] = {}
    for language, text in (value or {}).items():
        if language not in LANGUAGES:
            raise Invalid(field, "languages are %(choices)s", values={"choices": ", ".join(LANGUAGES)})
        cleaned = str(text or "").replace("\x00", "").strip()
        if len(cleaned) > limit:
            raise Invalid(field, "at most %(max)s characters", values={"max": limit})
        if cleaned:
            texts[str(language)] = cleaned
    if english and "en" not in texts:
        raise Invalid(field, "an English text is required")
    return texts


def check_prechat_fields(values: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    if values is None:
        return [dict(f, label=dict(f["label"]), options=[]) for f in DEFAULT_PRECHAT_FIELDS]
    if len(values) > MAX_PRECHAT_FIELDS:
        raise Invalid("prechat_fields", "at most %(max)s fields", values={"max": MAX_PRECHAT_FIELDS})
    fields: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row, value in enumerate(values, start=1):
        key = str(value.get("key") or "").strip().lower()
        if not PRECHAT_KEY.match(key):
            raise Invalid(
                "prechat_fields",
                "field %(row)s: the key is 1 to 32 lower-case letters, digits or _, starting with a letter",
                values={"row": row},
            )
        if key in seen:
            raise Invalid(
                "prechat_fields",
                "field %(row)s: the key %(key)s is used twice",
                values={"row": row, "key": key},
            )
        seen.add(key)
        kind = str(value.get("kind") or "text")
        if kind not in [k.value for k in PrechatKind]:
            raise Invalid(
                "prechat_fields",
                "field %(row)s: the kind must be one of %(choices)s",
                values={"row": row, "choices": ", ".join(k.value for k in PrechatKind)},
            )
        try:
            label = check_texts("prechat_fields", value.get("label"), limit=LABEL_MAX)
        except Invalid:
            raise Invalid(
                "prechat_fields",
                "field %(row)s: a label in English is required, each label at most %(max)s characters",
                values={"row": row, "max": LABEL_MAX},
            ) from None
        options = [" ".join(str(o).split()) for o in value.get("options") or []]
        options = list(dict.fromkeys(o for o in options if o))
        if kind == PrechatKind.SELECT:
            if not options or len(options) > MAX_OPTIONS or any(len(o) > LABEL_MAX for o in options):
                raise Invalid(
                    "prechat_fields",
                    "field %(row)s: a choice needs 1 to %(max)s options",
                    values={"row": row, "max": MAX_OPTIONS},
                )
        else:
            options = []
        fields.append(
            {
                "key": key,
                "kind": kind,
                "required": bool(value.get("required")),
                "label": label,
                "options": options,
            }
        )
    return fields


def check_appearance(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """The widget's look: colour, side, and texts per language; what is left out is the default."""
    value = value or {}
    unknown = set(value) - {"colour", "position", "texts"}
    if unknown:
        raise Invalid(
            "appearance", "unknown settings: %(names)s", values={"names": ", ".join(sorted(unknown))}
        )
    colour = str(value.get("colour") or DEFAULT_COLOUR).strip().lower()
    if not COLOUR.match(colour):
        raise Invalid("appearance.colour", "a colour like #0b5cad")
    position = check_choice("appearance.position", value.get("position") or "right", POSITIONS)
    given = value.get("texts") or {}
    texts: dict[str, dict[str, str]] = {}
    for language in given:
        if language not in LANGUAGES:
            raise Invalid(
                "appearance.texts", "languages are %(choices)s", values={"choices": ", ".join(LANGUAGES)}
            )
    for language in LANGUAGES:
        these = given.get(language) or {}
        unknown = set(these) - set(APPEARANCE_TEXT_KEYS)
        if unknown:
            raise Invalid(
                "appearance.texts", "unknown texts: %(names)s", values={"names": ", ".join(sorted(unknown))}
            )
        texts[language] = {}
        for key in APPEARANCE_TEXT_KEYS:
            text = " ".join(str(these.get(key) or "").replace("\x00", "").split())
            if len(text) > APPEARANCE_TEXT_MAX:
                raise Invalid(
                    "appearance.texts", "at most %(max)s characters", values={"max": APPEARANCE_TEXT_MAX}
                )
            texts[language][key] = text or DEFAULT_TEXTS[language][key]
    return {"colour": colour, "position": position, "texts": texts}


def check_conditions(values: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not values:
        raise Invalid("conditions", "add at least one condition")
    if len(values) > MAX_CONDITIONS:
        raise Invalid("conditions", "at most %(max)s conditions", values={"max": MAX_CONDITIONS})
    conditions: list[dict[str, Any]] = []
    for row, value in enumerate(values, start=1):
        field = str(value.get("field") or "")
        op = str(value.get("op") or "")
        raw = value.get("value")
        if field not in [f.value for f in InvitationField]:
            raise Invalid(
                "conditions",
                "condition %(row)s: the field must be one of %(choices)s",
                values={"row": row, "choices": ", ".join(f.value for f in InvitationField)},
            )
        if field in NUMERIC_FIELDS:
            if op != InvitationOp.AT_LEAST:
                raise Invalid(
                    "conditions", "condition %(row)s: a number is compared with at_least", values={"row": row}
                )
            number = raw
            if isinstance(raw, str) and raw.strip().isdigit():
                number = int(raw.strip())
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise Invalid(
                    "conditions", "condition %(row)s: a whole number of 0 or more", values={"row": row}
                )
            conditions.append({"field": field, "op": op, "value": number})
            continue
        if op not in TEXT_OPS:
            raise Invalid(
                "conditions",
                "condition %(row)s: text is compared with %(choices)s",
                values={"row": row, "choices": ", ".join(o.value for o in TEXT_OPS)},
            )
        text = str(raw if raw is not None else "").strip()
        if not text or len(text) > CONDITION_TEXT_MAX:
            raise Invalid(
                "conditions",
                "condition %(row)s: a text of 1 to %(max)s characters",
                values={"row": row, "max": CONDITION_TEXT_MAX},
            )
        conditions.append({"field": field, "op": op, "value": text})
    return conditions
