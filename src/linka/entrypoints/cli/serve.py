"""`linka serve`: the HTTP server (uvicorn) on the ASGI app; refuses a database that needs migrating."""

from __future__ import annotations

import os

import click
import uvicorn

from linka.config import Settings
from linka.entrypoints.asgi import RUN_SMTP_ENV, RUN_WORKER_ENV
from linka.entrypoints.cli.common import load_settings, prepare_data_dir, require_migrated

APP_FACTORY = "linka.entrypoints.asgi:app_from_environment"


def refuse_unless_ready(settings: Settings) -> None:
    """Configuration problems, an unreachable database or pending migrations stop the start."""
    problems = settings.problems()
    if problems:
        raise click.ClickException("the configuration has problems:\n  " + "\n  ".join(problems))
    require_migrated(settings)


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: LINKA_HOST, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [default: LINKA_PORT, 8000].")
@click.option(
    "--no-worker",
    is_flag=True,
    help="Leave background work (postponed tickets waking, resolved ones closing…) to separate "
    "`linka worker` processes.",
)
@click.option(
    "--no-smtp",
    is_flag=True,
    help="Do not start the SMTP listener (mail then comes by IMAP polling or `linka mail deliver`).",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True, help="uvicorn processes."
)
def serve(host: str | None, port: int | None, no_worker: bool, no_smtp: bool, workers: int) -> None:
    """Run the web server (API, health checks)."""
    settings = load_settings()
    prepare_data_dir(settings)
    refuse_unless_ready(settings)
    settings.secret()  # create the generated key once, before several processes race to create it
    host = host or settings.host
    port = port if port is not None else settings.port
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Linka listening on http://{shown_host}:{port} (API docs: /api/v1/docs)")
    if settings.base_url.rstrip("/") != f"http://{shown_host}:{port}":
        click.echo(f"public URL (LINKA_BASE_URL): {settings.base_url}")
    # The app factory reads this: every server process also runs the worker unless told not to.
    os.environ[RUN_WORKER_ENV] = "0" if no_worker else "1"
    os.environ[RUN_SMTP_ENV] = "0" if no_smtp else "1"
    if not no_smtp:
        smtp_host = settings.smtp_host or host
        click.echo(f"SMTP listener on {smtp_host}:{settings.smtp_port} (mail for the mailboxes' addresses)")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        # A new worker imports the whole app before it answers uvicorn's check (6 s seen on a busy
        # 2-core machine); the default 5 s had the supervisor killing workers that were still starting.
        timeout_worker_healthcheck=30,
    )
