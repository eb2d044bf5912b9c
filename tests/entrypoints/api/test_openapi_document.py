"""The OpenAPI document is built on first use (not when the app is made) and finished as it is built:
whichever way it is first reached, every address serves the same finished document."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AppClient

ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _assert_finished(document: dict[str, Any]) -> None:
    assert "Error" in document["components"]["schemas"]
    assert set(document["components"]["securitySchemes"]) == {"apiKey", "session"}
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"apiKey": []}, {"session": []}]
    assert me["responses"]["401"]["content"]["application/json"]["schema"] == ERROR_REF
    assert "security" not in document["paths"]["/api/v1/auth/login"]["post"]


@pytest.mark.parametrize("first", ["/api/v1/openapi.json", "/api/v1/docs/openapi.json", "app.openapi_schema"])
async def test_every_address_serves_the_finished_document(client: AppClient, first: str) -> None:
    if first == "app.openapi_schema":
        _assert_finished(client.app.openapi_schema.to_schema())
    else:
        response = await client.get(first)
        assert response.status_code == 200
    ours = (await client.get("/api/v1/openapi.json")).json()
    _assert_finished(ours)
    assert (await client.get("/api/v1/docs/openapi.json")).json() == ours
    assert client.app.openapi_schema.to_schema() == ours
    swagger = await client.get("/api/v1/docs")
    assert swagger.status_code == 200
    assert '"#/components/schemas/Error"' in swagger.text
