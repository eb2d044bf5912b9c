"""`linka serve` refuses a database that needs migrating, and really serves a migrated one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.entrypoints.cli.conftest import run_process
from tests.live_server import free_port


def test_serve_refuses_an_unmigrated_database(data_dir: Path) -> None:
    finished = run_process("serve", "--port", str(free_port()), timeout=30)
    assert finished.returncode != 0
    assert "the database needs migrating: run `linka migrate`" in finished.stderr
    assert "listening" not in finished.stdout


def test_serve_refuses_a_bad_configuration(migrated: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKA_BASE_URL", "not-a-url")
    finished = run_process("serve", "--port", str(free_port()), timeout=30)
    assert finished.returncode != 0
    assert "LINKA_BASE_URL must start with" in finished.stderr


def test_serve_answers_health_and_readiness(migrated: str, data_dir: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "linka.entrypoints.cli.main",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-worker",
            ],
            env=dict(os.environ),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        answers: dict[str, int] = {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and answers != {"/healthz": 200, "/readyz": 200}:
            assert process.poll() is None, f"linka serve exited:\n{log.read_text()}"
            for path in ("/healthz", "/readyz"):
                try:
                    answers[path] = httpx.get(url + path, timeout=1.0).status_code
                except httpx.TransportError:
                    answers[path] = 0
            time.sleep(0.1)
        assert answers == {"/healthz": 200, "/readyz": 200}, log.read_text()
        assert f"http://127.0.0.1:{port}" in log.read_text()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
