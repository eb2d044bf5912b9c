"""/healthz says the process is alive; /healthz/db that the database answers; /readyz whether it can
serve: database and migrations."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import AsyncTestClient

from linka.config import Settings
from linka.core.db import Database
from linka.entrypoints.asgi import create_app
from linka.entrypoints.runtime import build_runtime
from tests.conftest import AppClient


async def test_ready_on_a_migrated_database(client: AppClient) -> None:
    alive = await client.get("/healthz")
    assert alive.status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"database": "ok", "migrations": "ok"}}


async def test_the_database_probe_answers_ok_while_the_database_answers(client: AppClient) -> None:
    response = await client.get("/healthz/db")
    assert response.status_code == 200
    assert response.json() == {"database": "ok"}


async def test_not_ready_while_migrations_are_pending(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    settings = Settings(data_dir=tmp_path, database_url=url, secret_key="k" * 40)  # type: ignore[arg-type]
    runtime = build_runtime(settings, db=Database(url))
    async with AsyncTestClient(create_app(runtime=runtime)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "pending: run `linka migrate`"


async def test_not_ready_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    settings = Settings(data_dir=tmp_path, database_url=url, secret_key="k" * 40)  # type: ignore[arg-type]
    runtime = build_runtime(settings, db=Database(url))
    async with AsyncTestClient(create_app(runtime=runtime)) as client:
        response = await client.get("/readyz")
        probe = await client.get("/healthz/db")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")
    assert probe.status_code == 503
    assert probe.json()["database"].startswith("unreachable")
