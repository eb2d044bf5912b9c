"""`linka migrate` creates the schema; `linka check` shows the configuration masked and what is wrong."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.entrypoints.cli.conftest import SECRET, run


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_migrate_creates_the_tables_and_is_idempotent(linka: CliRunner, data_dir: Path) -> None:
    first = run(linka, "migrate")
    assert first.exit_code == 0, first.output
    assert "migrating from (empty database) to" in first.output
    found = tables(data_dir / "linka.db")
    assert {"alembic_version", "agents", "departments", "contacts", "companies"} <= found

    again = run(linka, "migrate")
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output


def test_migrate_creates_a_missing_data_folder(
    linka: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "new" / "place"
    monkeypatch.delenv("LINKA_DATABASE_URL", raising=False)
    monkeypatch.setenv("LINKA_DATA_DIR", str(folder))
    result = run(linka, "migrate")
    assert result.exit_code == 0, result.output
    assert "agents" in tables(folder / "linka.db")


def test_check_passes_and_masks_secrets(
    linka: CliRunner, migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKA_REDIS_URL", "redis://:redis-password-123@127.0.0.1:6379/0")
    result = run(linka, "check")
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "redis-password-123" not in result.output
    assert "LINKA_SECRET_KEY" in result.output
    assert "(given, masked)" in result.output
    assert "redis://:***@127.0.0.1:6379/0" in result.output
    assert "migrations: current" in result.output


def test_check_reports_a_bad_base_url(
    linka: CliRunner, migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKA_BASE_URL", "helpdesk.example.com")
    result = run(linka, "check")
    assert result.exit_code != 0
    assert "LINKA_BASE_URL must start with http:// or https://" in result.output


def test_check_reports_pending_migrations(linka: CliRunner, data_dir: Path) -> None:
    result = run(linka, "check")
    assert result.exit_code != 0
    assert "run `linka migrate`" in result.output


def test_check_reports_an_unreachable_database(
    linka: CliRunner, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKA_DATABASE_URL", "postgresql+asyncpg://nobody:pw-456@127.0.0.1:1/none")
    result = run(linka, "check")
    assert result.exit_code != 0
    assert "database: unreachable" in result.output
    assert "pw-456" not in result.output


def test_an_invalid_setting_is_named(
    linka: CliRunner, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKA_DEFAULT_TIMEZONE", "Mars/Olympus")
    result = run(linka, "check")
    assert result.exit_code != 0
    assert "LINKA_DEFAULT_TIMEZONE" in result.output
    assert "Traceback" not in result.output
