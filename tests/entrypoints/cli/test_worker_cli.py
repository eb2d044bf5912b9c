"""`linka worker --once` runs every job once against the configured database and says what it did."""

from __future__ import annotations

from click.testing import CliRunner

from tests.entrypoints.cli.conftest import run


def test_worker_once_reports_each_job(linka: CliRunner, migrated: str) -> None:
    result = run(linka, "worker", "--once")
    assert result.exit_code == 0, result.output
    assert "wake postponed tickets: 0" in result.output
    assert "close resolved tickets: 0" in result.output


def test_worker_refuses_an_unmigrated_database(linka: CliRunner, data_dir: object) -> None:
    result = run(linka, "worker", "--once")
    assert result.exit_code != 0
    assert "linka migrate" in result.output
