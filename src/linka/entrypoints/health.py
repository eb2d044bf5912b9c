"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from sqlalchemy import text

from linka.core.migrations import pending_migrations
from linka.entrypoints.runtime import Runtime


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "alive"}


@get("/readyz", include_in_schema=False)
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    runtime: Runtime = request.app.state.runtime
    checks: dict[str, str] = {}
    try:
        async with runtime.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
        checks["migrations"] = (
            "pending: run `linka migrate`" if await pending_migrations(runtime.db) else "ok"
        )
    except Exception as exc:  # the probe reports any failure instead of raising
        checks["database"] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values()) and "migrations" in checks
    return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@get("/healthz/db", include_in_schema=False)
async def healthz_db(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """One `SELECT 1` through the app's engine: a cheap database liveness probe (no migration check),
    and the ceiling the load benchmark compares every endpoint with (bench/run.py)."""
    runtime: Runtime = request.app.state.runtime
    try:
        async with runtime.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # the probe reports any failure instead of raising
        return Response({"database": f"unreachable: {type(exc).__name__}"}, status_code=503)
    return Response({"database": "ok"}, status_code=200)


health_routes = [healthz, healthz_db, readyz]
