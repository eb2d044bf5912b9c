"""No answer of the API ever carries a password hash, a TOTP secret or an API key hash: every listing
and detail that exists is read, as an owner, after two-factor has been set up."""

from __future__ import annotations

import pyotp

from linka.core.clock import FrozenClock
from tests.conftest import AppClient, bearer
from tests.entrypoints.api.auth_helpers import assert_no_secrets, login, post
from tests.personas import Personas


async def test_no_response_contains_secrets(
    client: AppClient, personas: Personas, frozen_clock: FrozenClock
) -> None:
    owner = personas.owner
    await login(client, owner.email, owner.password)
    secret = (await post(client, "/me/two-factor")).json()["secret"]
    await post(client, "/me/two-factor/confirm", {"code": pyotp.TOTP(secret).at(frozen_clock.now())})
    document = (await client.get("/api/v1/openapi.json")).json()
    values = {
        "agent_id": owner.public_id,
        "department_id": personas.department_public_ids["support"],
    }
    read = 0
    for path, item in document["paths"].items():
        if "get" not in item:
            continue
        url = path
        for name, value in values.items():
            url = url.replace("{" + name + "}", value)
        if "{" in url:
            continue
        for headers in ({}, bearer(owner)):
            response = await client.get(url, headers=headers)
            assert response.status_code < 500, (url, response.text)
            assert_no_secrets(response.text)
            assert secret not in response.text
            read += 1
    assert read >= 10
