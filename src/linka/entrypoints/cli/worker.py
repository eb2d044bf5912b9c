"""`linka worker`: only the background work, for scale-out beside `linka serve --no-worker`."""

from __future__ import annotations

import asyncio
import logging
import signal

import click

from linka.entrypoints.cli.common import load_settings, prepare_data_dir, require_migrated
from linka.entrypoints.realtime.publisher import TicketEventPublisher, publish_from_worker
from linka.entrypoints.runtime import build_runtime
from linka.entrypoints.worker.jobs import scheduled_jobs
from linka.entrypoints.worker.runner import run_jobs_once, run_worker


@click.command()
@click.option("--once", is_flag=True, help="Run every job once, print what each handled, and exit.")
def worker(once: bool) -> None:
    """Run the background worker (postponed tickets waking, resolved tickets closing…)."""
    settings = load_settings()
    prepare_data_dir(settings)
    require_migrated(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(_run(once))


async def _run(once: bool) -> None:
    runtime = build_runtime(load_settings())
    publisher = TicketEventPublisher(runtime.db)
    runtime.bus.add_publisher(publisher)
    publish_from_worker(publisher, runtime.settings.redis_url)
    try:
        if once:
            for name, count in (await run_jobs_once(runtime, scheduled_jobs(runtime))).items():
                click.echo(f"{name}: {'failed (see the log)' if count < 0 else count}")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        click.echo("Linka worker running; Ctrl+C stops it")
        await run_worker(runtime, stop)
    finally:
        await runtime.close()
