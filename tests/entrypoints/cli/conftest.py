"""The `linka` command run for real against a throwaway data folder and SQLite file per test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from linka.config import Settings
from linka.core.migrations import upgrade_to_head
from linka.entrypoints.cli.main import cli
from tests.databases import in_own_thread

SECRET = "cli-test-secret-" + "s" * 40
SETTING_NAMES = {f"LINKA_{name.upper()}" for name in Settings.model_fields}


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-template") / "migrated.db"
    in_own_thread(lambda: upgrade_to_head(sqlite_url(path)))
    return path


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LINKA_… points at a fresh data folder; the database file there is empty (not migrated)."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LINKA_OWNER_PASSWORD", raising=False)
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("LINKA_DATA_DIR", str(folder))
    monkeypatch.setenv("LINKA_DATABASE_URL", sqlite_url(folder / "linka.db"))
    monkeypatch.setenv("LINKA_SECRET_KEY", SECRET)
    return folder


@pytest.fixture
def migrated(data_dir: Path, migrated_template: Path) -> str:
    """The data folder's database, already migrated; returns its URL."""
    shutil.copyfile(migrated_template, data_dir / "linka.db")
    return sqlite_url(data_dir / "linka.db")


@pytest.fixture
def linka() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


def run_process(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command in its own process, as an operator runs it (with the test's LINKA_… environment)."""
    return subprocess.run(
        [sys.executable, "-m", "linka.entrypoints.cli.main", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
