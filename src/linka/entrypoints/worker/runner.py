"""Runs the jobs on their intervals until told to stop. A failing job is logged and retried on its
next turn; it never stops the others or the loop. A job that handled a full batch runs again at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from linka.entrypoints.runtime import Runtime
from linka.entrypoints.worker.jobs import Job, scheduled_jobs

log = logging.getLogger("linka.worker")
FULL_BATCH = 200


async def run_jobs_once(runtime: Runtime, jobs: list[Job]) -> dict[str, int]:
    """Every job once (tests and `linka worker --once`); a failure is logged and counted as -1."""
    handled: dict[str, int] = {}
    for job in jobs:
        try:
            handled[job.name] = await job.run(runtime)
        except Exception:
            log.exception("job %r failed; it runs again on its next turn", job.name)
            handled[job.name] = -1
    return handled


async def run_worker(runtime: Runtime, stop: asyncio.Event, jobs: list[Job] | None = None) -> None:
    jobs = jobs if jobs is not None else scheduled_jobs(runtime)
    due = {job.name: 0.0 for job in jobs}
    log.info("worker started: %s", ", ".join(job.name for job in jobs))
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs:
            if due[job.name] > now:
                continue
            try:
                count = await job.run(runtime)
            except Exception:
                log.exception("job %r failed; it runs again on its next turn", job.name)
                count = 0
            if count:
                log.info("%s: %d", job.name, count)
            due[job.name] = now if count >= FULL_BATCH else now + job.every_seconds
        wait = max(0.05, min(due.values()) - time.monotonic())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
    log.info("worker stopped")
