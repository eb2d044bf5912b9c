"""Shared fixtures: a fresh database per test (SQLite always; PostgreSQL when configured), the personas,
the app and an HTTP client speaking to it in-process."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from linka.config import Settings
from linka.core import clock as clock_module
from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.entrypoints.asgi import create_app
from linka.entrypoints.runtime import Runtime, build_runtime
from tests.app_build_cache import remember_parsed_signatures
from tests.databases import (
    PG_ENV,
    PostgresTemplates,
    SqliteTemplates,
    postgres_url,
    skip_commit_waits,
    under_ci,
)
from tests.personas import Person, Personas, build_personas

ENGINES = ["sqlite", "postgresql"]
SECRET_KEY = "test-secret-" + "x" * 40

remember_parsed_signatures()


@pytest.fixture(scope="session")
def sqlite_template() -> Iterator[tuple[SqliteTemplates, Personas]]:
    with tempfile.TemporaryDirectory(prefix="linka-tests-") as folder:
        templates = SqliteTemplates(Path(folder))
        personas = templates.build(build_personas)
        yield templates, personas


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[PostgresTemplates, Personas]]:
    url = postgres_url()
    if url is None:
        if under_ci():
            pytest.fail(f"CI=true but {PG_ENV} is not set: the PostgreSQL run is required under CI")
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    templates = PostgresTemplates(url)
    personas = templates.build(build_personas)
    yield templates, personas
    templates.drop_template()


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_template() -> str | None:
    """The template a test's database is copied from: None for the personas' one. A module overrides this
    with a template it derived (SqliteTemplates.derive) to start every test from data it prepared once."""
    return None


@pytest.fixture
async def db(
    request: pytest.FixtureRequest, engine_name: str, db_template: str | None
) -> AsyncIterator[Database]:
    if engine_name == "sqlite":
        sqlite, _ = request.getfixturevalue("sqlite_template")
        url = sqlite.fresh_url(db_template)
        database = Database(url)
        yield database
        await database.dispose()
        sqlite.drop(url)
    else:
        postgres, _ = request.getfixturevalue("postgres_template")
        url = await postgres.fresh_url(db_template)
        database = Database(url, pool_size=5)
        skip_commit_waits(database)
        yield database
        await database.dispose()
        await postgres.drop(url)


@pytest.fixture
def personas(request: pytest.FixtureRequest, db: Database) -> Personas:
    name = "sqlite_template" if db.dialect == "sqlite" else "postgres_template"
    _, built = request.getfixturevalue(name)
    assert isinstance(built, Personas)
    return built


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    clock = FrozenClock()
    previous = clock_module.use_clock(clock)
    yield clock
    clock_module.use_clock(previous)


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    return Settings(data_dir=tmp_path, database_url=db.url, secret_key=SECRET_KEY)  # type: ignore[arg-type]


@pytest.fixture
def runtime(settings: Settings, db: Database) -> Runtime:
    return build_runtime(settings, db=db)


@pytest.fixture
def app(runtime: Runtime) -> Litestar:
    return create_app(runtime=runtime)


class AppClient(httpx.AsyncClient):
    """An HTTP client calling the app in the test's own event loop (Litestar's AsyncTestClient runs
    the app on a portal thread, and an asyncpg pool cannot be shared across loops)."""

    def __init__(self, app: Litestar) -> None:
        super().__init__(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
        self.app = app


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AppClient]:
    async with AppClient(app) as test_client:
        yield test_client


def bearer(person: Person | str) -> dict[str, str]:
    """Headers authenticating as a persona's API key (or a raw key)."""
    key = person if isinstance(person, str) else person.api_key
    return {"Authorization": f"Bearer {key}"}
