"""What Alembic's autogenerate compares (used by env.py; importable by tests, unlike env.py)."""

from __future__ import annotations

from typing import Any

from linka.core.db import Base


def include_object(_object: Any, name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
    """Autogenerate skips what hand-written revisions own (FTS5 tables and their shadow tables,
    expression indexes): models register their names in `metadata.info["unmanaged_prefixes"]`, and a
    reflected object whose name starts with one of them is neither dropped nor compared."""
    prefixes = tuple(Base.metadata.info.get("unmanaged_prefixes", ()))
    return not (reflected and name is not None and prefixes and name.startswith(prefixes))
