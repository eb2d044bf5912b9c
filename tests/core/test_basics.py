"""Settings, public ids and the clock."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from linka.config import Settings
from linka.core import clock
from linka.core.clock import FrozenClock
from linka.core.ids import CODE_ALPHABET, normalise_ticket_code, public_id, ticket_code


def test_secret_key_is_generated_once_kept_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.secret()
    assert len(first) >= 40
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings(data_dir=tmp_path).secret() == first
    assert Settings(data_dir=tmp_path / "other").secret() != first


def test_environment_is_read_with_the_linka_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKA_BASE_URL", "https://help.example.cz")
    monkeypatch.setenv("LINKA_DATABASE_URL", "postgresql://linka:s3cret@db:5432/linka")
    settings = Settings(data_dir=tmp_path)
    assert settings.base_url == "https://help.example.cz"
    assert settings.effective_database_url == "postgresql+asyncpg://linka:s3cret@db:5432/linka"
    assert settings.secure_cookies is True
    shown = settings.masked()
    assert "s3cret" not in str(shown)
    assert shown["LINKA_DATABASE_URL"] == "postgresql+asyncpg://linka:***@db:5432/linka"


def test_problems_are_reported_in_words(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, base_url="help.example.cz", redis_url="http://nope", secret_key="short"
    )  # type: ignore[arg-type]
    problems = " ".join(settings.problems())
    assert "LINKA_BASE_URL" in problems
    assert "LINKA_REDIS_URL" in problems
    assert "LINKA_SECRET_KEY" in problems
    assert Settings(data_dir=tmp_path).problems() == []


def test_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="default_timezone"):
        Settings(data_dir=tmp_path, default_timezone="Mars/Olympus")


def test_default_database_is_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    url = Settings(data_dir=tmp_path).effective_database_url
    assert url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/linka.db"


def test_ticket_codes_are_readable_and_tolerant() -> None:
    codes = {ticket_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert re.fullmatch(r"[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}", code)
        assert not set(code.replace("-", "")) - set(CODE_ALPHABET)
        assert normalise_ticket_code(code.lower().replace("-", "")) == code
    assert normalise_ticket_code("xkq-7a2-mop") == "XKQ-7A2-M0P"


def test_public_ids_carry_their_kind() -> None:
    found = public_id("ag")
    assert re.fullmatch(r"ag_[0-9a-z]{12}", found)
    assert public_id("ag") != found


def test_frozen_clock_moves_only_when_told() -> None:
    frozen = FrozenClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    previous = clock.use_clock(frozen)
    try:
        assert clock.now() == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        frozen.advance(hours=2)
        assert clock.now() == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    finally:
        clock.use_clock(previous)
    assert clock.now().year >= 2026
