"""Finishing touches on the generated OpenAPI document: the one error shape on every operation, and
how to authenticate. Litestar documents its own 400 body; ours replaces it."""

from __future__ import annotations

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin  # Litestar has no public name for its own plugin
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["error"],
    properties={
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=["code", "message", "fields"],
            properties={
                "code": Schema(type=OpenAPIType.STRING, description="stable, machine-readable"),
                "message": Schema(type=OpenAPIType.STRING),
                "fields": Schema(
                    type=OpenAPIType.OBJECT,
                    additional_properties=Schema(type=OpenAPIType.STRING),
                    description="field name → what is wrong with it",
                ),
            },
        )
    },
)

ERROR_STATUSES = {
    "400": "Malformed request (e.g. the body is not JSON)",
    "401": "Not signed in, or the API key is unknown or revoked",
    "403": "Signed in, but not allowed (permission, API-key scope, CSRF)",
    "404": "Not found, or not visible to you",
    "409": "Conflicts with existing data",
    "422": "Invalid input; `fields` names what is wrong",
    "429": "Too many attempts; see Retry-After",
}
PUBLIC_PATHS = {
    "/api/v1/auth/login",
    "/api/v1/auth/logout",
    "/api/v1/auth/two-factor",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
    "/api/v1/auth/accept-invitation",
}


def _error_response(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={"application/json": OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Error"))},
    )


class _FinishingOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, finishing the document as it builds it."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        document = super()._build_openapi()
        _finish(document)
        return document


def finish_openapi_when_built(app: Litestar) -> None:
    """Have the app's OpenAPI document finished whenever Litestar builds it: on first use (a request for
    it, or `app.openapi_schema`), not at app creation. Building it costs more than the rest of the app's
    creation, and most apps (every test's) never need it."""
    plugin = app.plugins.get(OpenAPIPlugin)
    # Litestar creates the plugin itself and looks it up by its exact type, so it cannot be replaced;
    # the subclass adds no state, so the instance can take its class.
    plugin.__class__ = _FinishingOpenAPIPlugin


def _finish(document: OpenAPI) -> None:
    if document.components is None:
        document.components = Components()
    components = document.components
    if isinstance(components, Components):
        components.schemas["Error"] = ERROR_SCHEMA
        components.security_schemes = {
            "apiKey": SecurityScheme(type="http", scheme="bearer", description="`lk_…` API key"),
            "session": SecurityScheme(
                type="apiKey", name="linka_session", security_scheme_in="cookie", description="after login"
            ),
        }
    for path, item in (document.paths or {}).items():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if not isinstance(operation, Operation):
                continue
            responses = operation.responses if operation.responses is not None else {}
            no_content = responses.get("204")
            if isinstance(no_content, OpenAPIResponse):
                no_content.content = None  # a 204 has no body, whatever the handler's annotation says
            for status, description in ERROR_STATUSES.items():
                responses[status] = _error_response(description)
            operation.responses = responses
            if path not in PUBLIC_PATHS:
                operation.security = [{"apiKey": []}, {"session": []}]
