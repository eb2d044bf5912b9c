"""What the API accepts and returns for answers (`an_…`): canned messages and predefined answers.

Inputs are checked loosely here (types, lengths) and precisely by the actions, whose errors name the
field: a shortcut is accepted as typed ("/Thanks") and stored as `thanks`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from linka.domains.accounts.schemas import Input


class AnswerKind(StrEnum):
    CANNED = "canned"  # a snippet inserted where the agent types `/shortcut`
    PREDEFINED = "predefined"  # a template picked from a list; may set the reply's subject


class AnswerScope(StrEnum):
    PERSONAL = "personal"  # its owner's only
    DEPARTMENT = "department"  # for the department's members; supervisors manage it
    GLOBAL = "global"  # for everyone; holders of manage_answers manage it


LANGUAGES = ("en", "cs", "hu")
NAME_MAX = 120
SHORTCUT_MAX = 32
SUBJECT_MAX = 500
BODY_MAX = 200_000

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX)]
# One more than the stored length: a leading "/" is accepted and dropped.
Shortcut = Annotated[str, msgspec.Meta(max_length=SHORTCUT_MAX + 1)]
Subject = Annotated[str, msgspec.Meta(max_length=SUBJECT_MAX)]
Body = Annotated[str, msgspec.Meta(max_length=BODY_MAX)]
Language = Literal["en", "cs", "hu"]
PublicRef = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class AnswerIn(Input):
    """A canned message needs a `shortcut`; a predefined answer may have a `subject`. `scope`
    department needs `department` (`dp_…`, where you are a supervisor, or manage_answers); global
    needs manage_answers."""

    kind: Literal["canned", "predefined"]
    name: Name
    body_html: Body
    shortcut: Shortcut | None = None
    subject: Subject | None = None
    language: Language | None = None
    scope: Literal["personal", "department", "global"] = "personal"
    department: PublicRef | None = None


class AnswerPatch(Input):
    """Only the fields given change; `null` clears `subject` or `language`. Kind and scope stay."""

    name: Name | UnsetType = UNSET
    body_html: Body | UnsetType = UNSET
    shortcut: Shortcut | UnsetType = UNSET
    subject: Subject | UnsetType | None = UNSET
    language: Language | UnsetType | None = UNSET


class AnswerOut(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    name: str
    shortcut: str | None
    subject: str | None
    body_html: str
    language: str | None
    scope: str
    department: str | None  # `dp_…` of a department answer
    owner: str | None  # `ag_…` of a personal answer
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    # Whether the caller may change or delete it.
    can_manage: bool


class AnswerPage(msgspec.Struct, kw_only=True):
    items: list[AnswerOut]
    next_cursor: str | None


class RenderedAnswer(msgspec.Struct, kw_only=True):
    """An answer with a ticket's variables filled in: `subject` is None when the answer sets none
    (canned messages never do)."""

    subject: str | None
    body_html: str
