"""Load scenarios against Linka started as production runs it:

    .venv/bin/linka bench run [--url postgresql+asyncpg://postgres@127.0.0.1:5432/linka_bench] [--only …]

Starts `linka serve --workers N` on the seeded database (and Redis with --redis), then drives: wrk
against the API and the agent pages (a `SELECT 1` endpoint first, as the ceiling), mail through the
SMTP listener, and chat sockets (idle visitors on one process, visitor→agent line latency). Writes
bench/results/<UTC date-time>-<engine>-<tickets>.json and prints a Markdown table. The callers' API
keys are made for the run and revoked after it; see bench/README.md for what else a run changes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import texts
from bench.load import chat_load, http_scenarios, prepare, results, smtp_intake
from bench.load.http_scenarios import Callers, HttpContext
from bench.load.server import BenchServer, RssSampler, free_port
from bench.load.wrk import WrkOptions
from linka.config import Settings
from linka.core.db import Database
from linka.entrypoints.asgi import CSRF_COOKIE, SESSION_COOKIE
from linka.entrypoints.runtime import Runtime, build_runtime

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/linka_bench"
HTTP_NAMES = [scenario.name for scenario in http_scenarios.HTTP_SCENARIOS]
OTHER_SCENARIOS = {
    "report-30d": "30-day performance report (not measurable: no report endpoint exists yet)",
    "email-intake": "email intake through the SMTP listener",
    "chat-idle": "idle visitor sockets held by one process",
    "chat-latency": "chat lines visitor→agent at a combined rate",
}
ALL_NAMES = [*HTTP_NAMES, *OTHER_SCENARIOS]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="linka bench run", description=(__doc__ or "").split("\n")[0].rstrip(":")
    )
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the seeded database (default {DEFAULT_URL})")
    parser.add_argument(
        "--redis", default="", help="redis://… for the server (LINKA_REDIS_URL); default none"
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--duration", type=float, default=15.0, help="measured seconds per scenario (default 15)"
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds before each (default 3)")
    parser.add_argument("--only", default="", help="comma-separated scenario names (see --list)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--emails", type=int, default=2000, help="messages sent to the SMTP listener (default 2,000)"
    )
    parser.add_argument(
        "--smtp-connections", type=int, default=16, help="SMTP client connections (default 16)"
    )
    parser.add_argument("--idle-sockets", type=int, default=5000, help="idle visitor sockets (default 5,000)")
    parser.add_argument(
        "--chats", type=int, default=125, help="chats for the latency scenario (default 125; see README)"
    )
    parser.add_argument(
        "--chat-rate", type=float, default=200.0, help="visitor lines a second, all chats (default 200)"
    )
    parser.add_argument("--chat-seconds", type=float, default=20.0, help="seconds of chat lines (default 20)")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk", help="the wrk binary")
    parser.add_argument("--results-dir", type=Path, default=results.RESULTS_DIR, help="where the JSON goes")
    parser.add_argument(
        "--keep-scratch", action="store_true", help="keep the run's .tmp folder (server logs)"
    )
    args = parser.parse_args(argv)
    args.selected = _selected(parser, args.only)
    return args


def _selected(parser: argparse.ArgumentParser, only: str) -> list[str]:
    if not only:
        return list(ALL_NAMES)
    wanted = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in ALL_NAMES]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; --list shows them")
    return [name for name in ALL_NAMES if name in wanted]


def listing() -> str:
    lines = [f"{scenario.name:16} {scenario.title}" for scenario in http_scenarios.HTTP_SCENARIOS]
    lines += [f"{name:16} {title}" for name, title in OTHER_SCENARIOS.items()]
    return "\n".join(lines)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def engine_of(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


async def sign_in(base_url: str, email: str, password: str) -> str:
    """A browser's sign-in: the login page for the CSRF cookie, then the form; the session cookie."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as browser:
        await browser.get("/login")
        answer = await browser.post(
            "/login", data={"email": email, "password": password, "_csrf_token": browser.cookies[CSRF_COOKIE]}
        )
        if answer.status_code != 303 or SESSION_COOKIE not in browser.cookies:
            raise RuntimeError(f"signing in as {email} failed: {answer.status_code} {answer.text[:300]}")
        return f"{SESSION_COOKIE}={browser.cookies[SESSION_COOKIE]}"


def settings_changed(server: BenchServer) -> dict[str, Any]:
    shown = {
        key: ("(random, per run)" if key == "LINKA_SECRET_KEY" else value)
        for key, value in server.settings().items()
    }
    return {
        "server_environment": shown,
        "rate_limits": (
            "none raised: the API has no request rate limit, and LINKA_LOGIN_ATTEMPTS_* only count sign-ins "
            "(one per run). The chat limits are constants, not settings: 60 new widgets a minute per "
            "address (each bench visitor comes through its own X-Forwarded-For address, as behind a load "
            "balancer; uvicorn trusts it from 127.0.0.1) and 20 lines per 10 s per visitor (the latency "
            "scenario spreads its rate over enough chats to stay under it)"
        ),
    }


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = datetime.now(UTC)
        self.scratch = args.results_dir / f"run-{self.started:%Y%m%dT%H%M%SZ}.tmp"
        self.secret = secrets.token_urlsafe(48)
        settings = Settings(
            database_url=args.url,
            data_dir=self.scratch / "bench",
            secret_key=self.secret,  # type: ignore[arg-type]
        )
        self.runtime: Runtime = build_runtime(settings, db=Database(args.url, pool_size=4))
        self.made = prepare.Made()
        self.rows: list[dict[str, Any]] = []
        self.sink = smtp_intake.MailSink(free_port())
        self.mark = prepare.run_mark()
        self.settings: dict[str, Any] = {}
        self.button = ""
        self.chat_agent_refs: list[prepare.AgentRef] = []
        self.argv: list[str] = []

    def wants(self, *names: str) -> bool:
        return any(name in self.args.selected for name in names)

    def server(self, workers: int) -> BenchServer:
        return BenchServer(
            database_url=self.args.url,
            redis_url=self.args.redis,
            workers=workers,
            folder=self.scratch,
            secret_key=self.secret,
        )

    async def start(self, server: BenchServer) -> None:
        server.start()
        await asyncio.to_thread(server.wait_ready)
        say(f"linka serve --workers {server.workers} ready at {server.base_url} (pid {server.pid})")

    async def attempt(self, name: str, title: str, work: Any) -> None:
        """Run one scenario; a failure is recorded as its row (the other scenarios still run)."""
        try:
            self.record(await work)
        except Exception as error:
            self.record(
                {
                    "name": name,
                    "title": title,
                    "measured": False,
                    "reason": f"failed: {type(error).__name__}: {error}",
                }
            )

    def record(self, row: dict[str, Any]) -> None:
        if row.get("target") and "met" not in row:
            row["met"] = results.meets(row["target"], row)
        self.rows.append(row)
        shown = (
            "not measured: " + row.get("reason", "")
            if not row.get("measured", True)
            else f"{row['count']:,} held"
            if row.get("count") is not None
            else f"{row.get('rate') or 0:,.1f}/s, p95 {row.get('p95_ms')} ms, errors {row.get('errors', 0)}"
        )
        say(f"  {row['name']}: {shown}")

    # ---- the phases ---------------------------------------------------------------------------------

    async def main_server_phase(self, workspace: prepare.Workspace, callers: Callers, address: str) -> None:
        server = self.server(self.args.workers)
        self.settings = settings_changed(server)
        try:
            await self.start(server)
            if self.wants("inbox", "detail-html"):
                callers.cookie = await sign_in(server.base_url, workspace.solver.email, prepare.PASSWORD)
            ctx = HttpContext(
                runtime=self.runtime,
                server=server,
                wrk=WrkOptions(
                    wrk=self.args.wrk,
                    connections=self.args.connections,
                    threads=self.args.threads,
                    warmup=self.args.warmup,
                    duration=self.args.duration,
                ),
                folder=self.scratch / "wrk",
                workspace=workspace,
                callers=callers,
                mark=self.mark,
                search_words=(texts.COMMON_CZECH_WORD, texts.RARE_HUNGARIAN_WORD),
                sink_count=lambda: self.sink.received,
            )
            for scenario in http_scenarios.HTTP_SCENARIOS:
                if self.wants(scenario.name):
                    await self.attempt(scenario.name, scenario.title, http_scenarios.run_http(ctx, scenario))
            if self.wants("report-30d"):
                self.record(http_scenarios.report_row())
            if self.wants("email-intake"):
                await self.attempt("email-intake", "email intake", self.email_intake(server, address))
            if self.wants("chat-latency") and self.args.redis:
                await self.attempt("chat-latency", "chat latency", self.chat_latency(server, workspace))
            server_limits = server.open_files_limits()
        finally:
            server.stop()
        self.settings["server_open_files"] = server_limits

    async def one_worker_phase(self, workspace: prepare.Workspace) -> None:
        server = self.server(1)
        self.settings = self.settings or settings_changed(server)
        try:
            await self.start(server)
            if self.wants("chat-idle"):
                await self.attempt("chat-idle", "chat idle sockets", self.chat_idle(server))
            if self.wants("chat-latency") and not self.args.redis:
                await self.attempt("chat-latency", "chat latency", self.chat_latency(server, workspace))
        finally:
            server.stop()

    async def email_intake(self, server: BenchServer, address: str) -> dict[str, Any]:
        args = self.args
        row: dict[str, Any] = {
            "name": "email-intake",
            "title": f"email intake: SMTP listener, {args.smtp_connections} connections (messages/s)",
            "kind": "smtp",
            "target": results.INTAKE_TARGET.as_dict(),
            "measured": True,
            "db_size_before": await prepare.database_size(self.runtime),
        }
        mark = f"{self.mark}-mail"
        with RssSampler(server) as rss:
            sent = await smtp_intake.send_all(
                "127.0.0.1", server.smtp_port, address, mark, args.emails, args.smtp_connections
            )
        found, waited = await smtp_intake.wait_stored(self.runtime, mark, sent.accepted)
        row.update(smtp_intake.summary(sent, found, waited, args.emails, args.smtp_connections))
        row["note"] = f"to {address}; " + row["note"]
        row.update(peak_rss_mib=rss.peak_mib, db_size_after=await prepare.database_size(self.runtime))
        return row

    async def chat_idle(self, server: BenchServer) -> dict[str, Any]:
        wanted = self.args.idle_sockets
        limits = chat_load.raise_open_files()
        ws_base = server.base_url.replace("http://", "ws://")
        with RssSampler(server) as rss:
            before = rss.sample()
            outcome = await chat_load.idle_visitors(ws_base, self.button, wanted, sample=rss.sample)
        held = outcome["answering_after_hold"]
        return {
            "name": "chat-idle",
            "title": "chat: idle visitor sockets, one process",
            "kind": "chat",
            "target": results.IDLE_TARGET.as_dict(),
            "measured": True,
            "count": held,
            "errors": wanted - held,
            "peak_rss_mib": rss.peak_mib,
            "idle": outcome
            | {
                "client_open_files": f"{limits[0]}/{limits[1]}",
                "server_open_files": server.open_files_limits(),
                "rss_before_mib": round(before / 2**20, 1),
            },
            "note": (
                f"{outcome['completed_hello']:,} of {wanted:,} completed the hello in "
                f"{outcome['opening_seconds']} s; {held:,} still answered a ping after "
                f"{outcome['held_seconds']:.0f} s held; server RSS {before / 2**20:.0f} MiB before, "
                f"{outcome['rss_while_held_mib']:.0f} MiB while held "
                f"({(outcome['rss_while_held_mib'] - before / 2**20) * 1024 / max(1, held):.0f} KiB a socket); "
                f"open files: client {limits[0]}, server {'/'.join(sorted(set(filter(None, server.open_files_limits().values()))))}"
                + (f"; failures: {outcome['failures']}" if outcome["failures"] else "")
            ),
        }

    async def chat_latency(self, server: BenchServer, workspace: prepare.Workspace) -> dict[str, Any]:
        args = self.args
        agents = self.chat_agent_refs
        tokens = [
            await prepare.api_key(self.runtime, self.made, agent, ["read", "write"]) for agent in agents
        ]
        capacity = len(agents) * prepare.MAX_CHATS_PER_AGENT
        chats = min(args.chats, capacity)
        ws_base = server.base_url.replace("http://", "ws://")
        with RssSampler(server) as rss:
            outcome = await chat_load.chat_latency(
                ws_base, self.button, tokens, chats=chats, rate=args.chat_rate, seconds=args.chat_seconds
            )
        per_visitor = args.chat_rate / max(1, outcome["chats_accepted"])
        return {
            "name": "chat-latency",
            "title": f"chat: visitor→agent line latency at {args.chat_rate:.0f} lines/s",
            "kind": "chat",
            "target": results.CHAT_LATENCY_TARGET.as_dict(),
            "measured": True,
            "rate": outcome["rate"],
            "p50_ms": outcome["p50_ms"],
            "p95_ms": outcome["p95_ms"],
            "p99_ms": outcome["p99_ms"],
            "max_ms": outcome["max_ms"],
            "requests": outcome["lines_sent"],
            "errors": sum(outcome["refusals"].values()),
            "lost": outcome["lost"],
            "peak_rss_mib": rss.peak_mib,
            "chat": outcome | {"server_workers": server.workers, "redis": bool(args.redis)},
            "note": (
                f"{outcome['chats_accepted']} of {chats} chats accepted by {len(agents)} agents of "
                f"{workspace.department_name} (API-key sockets); {outcome['lines_sent']:,} lines in "
                f"{args.chat_seconds:.0f} s ({per_visitor:.1f}/s per visitor), {outcome['lines_received']:,} "
                f"reached the agent ({outcome['lost']:,} lost: not there {outcome['settle_seconds']:.0f} s after the last line)"
                + (f"; refusals: {outcome['refusals']}" if outcome["refusals"] else "")
                + f"; server: {server.workers} worker{'s' if server.workers > 1 else ''}"
                + (", Redis" if args.redis else "")
            ),
        }

    # ---- the whole run ------------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        args = self.args
        load_before = os.getloadavg()
        workspace = await prepare.survey(self.runtime)
        say(
            f"{workspace.counts['tickets']:,} tickets; solver {workspace.solver.name} of "
            f"{workspace.department_name}, admin {workspace.admin.name}"
        )
        size_start = await prepare.database_size(self.runtime)
        self.sink.start()
        try:
            callers = Callers(solver_token="", admin_token="", cookie="")
            if self.wants("inbox", "detail-html"):
                await prepare.set_password(self.runtime, workspace.solver)
            callers.solver_token = await prepare.api_key(
                self.runtime, self.made, workspace.solver, ["read", "write"]
            )
            callers.admin_token = await prepare.api_key(self.runtime, self.made, workspace.admin, ["read"])
            address = ""
            if self.wants("email-intake", "reply"):
                address = await prepare.intake_mailbox(self.runtime, workspace, self.sink.port, self.made)
            if self.wants("chat-idle", "chat-latency"):
                self.button = await prepare.chat_button(self.runtime, workspace, self.made)
            if self.wants("chat-latency"):
                self.chat_agent_refs = await prepare.chat_agents(self.runtime, workspace, 16)
                await prepare.set_online(self.runtime, self.made, self.chat_agent_refs)
            main_phase = [*HTTP_NAMES, "report-30d", "email-intake"] + (
                ["chat-latency"] if args.redis else []
            )
            if self.wants(*main_phase):
                await self.main_server_phase(workspace, callers, address)
            if self.wants("chat-idle") or (self.wants("chat-latency") and not args.redis):
                await self.one_worker_phase(workspace)
        finally:
            await prepare.undo(self.runtime, self.made)
            self.sink.stop()
        size_end = await prepare.database_size(self.runtime)
        results.add_ceiling_fractions(self.rows)
        for row in self.rows:
            row["met"] = results.meets(row.get("target"), row)
        return {
            "started_at": self.started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "command": "linka bench run " + " ".join(self.argv),
            "engine": engine_of(args.url),
            "database": {
                "url": args.url,
                "server_version": await prepare.server_version(self.runtime),
                "size_start": size_start,
                "size_end": size_end,
            },
            "machine": results.machine(args.wrk)
            | {"load_average_before": load_before, "load_average_after": os.getloadavg()},
            "data_set": workspace.counts
            | {
                "department": workspace.department_name,
                "solver": workspace.solver.name,
                "admin": workspace.admin.name,
                "detail_tickets": len(workspace.detail_codes),
                "detail_messages": {
                    "min": min(workspace.detail_messages, default=0),
                    "max": max(workspace.detail_messages, default=0),
                    "mean": round(sum(workspace.detail_messages) / max(1, len(workspace.detail_messages)), 1),
                },
            },
            "options": {
                "workers": args.workers,
                "redis": bool(args.redis),
                "connections": args.connections,
                "threads": args.threads,
                "warmup_s": args.warmup,
                "duration_s": args.duration,
                "only": args.selected,
            },
            "settings_changed": self.settings,
            "workspace_changes": self.made.notes,
            "scenarios": self.rows,
        }


def render(report: dict[str, Any]) -> str:
    machine = report["machine"]
    before, after = machine["load_average_before"][0], machine["load_average_after"][0]
    header = (
        f"**{report['engine']} {report['database']['server_version']}, {report['data_set']['tickets']:,} tickets**; "
        f"`linka serve --workers {report['options']['workers']}`"
        + (" with Redis" if report["options"]["redis"] else "")
        + f"; wrk {report['options']['connections']} connections, {report['options']['threads']} threads, "
        f"{report['options']['warmup_s']:.0f} s warm-up + {report['options']['duration_s']:.0f} s; "
        f"{machine['cores']} cores, load average {before:.1f} before and {after:.1f} after"
    )
    header += (
        "\n\nThe server ran with its default settings apart from its address, data folder, database, "
        "secret key and SMTP port; no rate limit was raised (`settings_changed` in the JSON says why)."
    )
    table = results.markdown_table(report["scenarios"])
    notes = results.notes(report["scenarios"])
    return "\n".join([header, "", table, "", notes]).rstrip()


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.list:
        print(listing())
        return
    if not Path(args.wrk).exists() and any(name in HTTP_NAMES for name in args.selected):
        sys.exit(f"wrk not found at {args.wrk}: install it (apt-get install wrk) or pass --wrk")
    run = Run(args)
    run.argv = argv

    async def go() -> dict[str, Any]:
        try:
            return await run.run()
        finally:
            await run.runtime.close()

    try:
        report = asyncio.run(go())
    except BaseException:
        say(f"the run stopped; the server logs are in {run.scratch}")
        raise
    if not args.keep_scratch:
        shutil.rmtree(run.scratch, ignore_errors=True)
    path = results.results_path(
        run.started, report["engine"], report["data_set"]["tickets"], args.results_dir
    )
    results.write_results(path, report)
    print(render(report))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
