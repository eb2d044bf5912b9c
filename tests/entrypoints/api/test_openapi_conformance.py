"""schemathesis against our own OpenAPI document, on a real server process: whatever the generated
input, no 5xx, and every response matches the documented schema (errors included)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ENGINES, bearer
from tests.live_server import LiveServer
from tests.personas import Personas


@pytest.fixture(scope="module", params=ENGINES)
def live_api(request: pytest.FixtureRequest) -> Iterator[tuple[LiveServer, Personas]]:
    if request.param == "sqlite":
        templates, personas = request.getfixturevalue("sqlite_template")
        url = templates.fresh_url()
    else:
        templates, personas = request.getfixturevalue("postgres_template")
        url = asyncio.run(templates.fresh_url())
    with tempfile.TemporaryDirectory(prefix="linka-live-") as folder:
        server = LiveServer(url, Path(folder)).start()
        try:
            yield server, personas
        finally:
            server.stop()
            if request.param != "sqlite":
                asyncio.run(templates.drop(url))


def test_api_honours_its_schema(live_api: tuple[LiveServer, Personas]) -> None:
    """Each operation gets generated cases (valid and invalid); every answer must be documented."""
    server, personas = live_api
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def exercise(case: Case) -> None:
            case.call_and_validate(base_url=server.url, headers=bearer(personas.admin), checks=checks)

        exercise()
        tested.append(operation.label)
    assert len(tested) >= 3, tested
