"""What a run records: one row per scenario (a plain dict, as it goes into the JSON file), the targets
the issue set, whether each row meets its target, the machine, and the Markdown table."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"


@dataclass(frozen=True)
class Target:
    """A target from the issue: `text` as the issue words it, and the bounds a row is checked against."""

    text: str
    min_rate: float | None = None  # requests (or messages) per second
    max_p95_ms: float | None = None
    max_p99_ms: float | None = None
    min_count: int | None = None  # idle sockets held
    none_lost: bool = False
    measurable: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, False)} | {
            "measurable": self.measurable
        }


LIST_TARGET = Target("≥ 500 req/s, p95 ≤ 50 ms", min_rate=500, max_p95_ms=50)
INBOX_TARGET = Target("≥ 300 req/s, p95 ≤ 80 ms", min_rate=300, max_p95_ms=80)
DETAIL_TARGET = Target("≥ 500 req/s, p95 ≤ 50 ms", min_rate=500, max_p95_ms=50)
SEARCH_TARGET = Target("≥ 200 req/s, p95 ≤ 100 ms", min_rate=200, max_p95_ms=100)
REPORT_TARGET = Target("p95 ≤ 500 ms", max_p95_ms=500)
CREATE_TARGET = Target("≥ 300/s", min_rate=300)
INTAKE_TARGET = Target("≥ 200 messages/s, none lost", min_rate=200, none_lost=True)
IDLE_TARGET = Target("≥ 5,000 idle sockets in one process", min_count=5000)
# "At 200 messages/s": the run must reach the rate (within 5 %: timers on a busy client lag a little).
CHAT_LATENCY_TARGET = Target("p99 ≤ 50 ms at 200 messages/s", min_rate=190, max_p99_ms=50, none_lost=True)


def meets(target: dict[str, Any] | None, row: dict[str, Any]) -> bool | None:
    """Whether the row meets its target; None when there is no target or nothing was measured."""
    if not target or not target.get("measurable", True) or not row.get("measured", True):
        return None
    checks: list[bool] = []
    if target.get("min_rate") is not None:
        checks.append((row.get("rate") or 0.0) >= target["min_rate"])
    if target.get("max_p95_ms") is not None:
        checks.append(row.get("p95_ms") is not None and row["p95_ms"] <= target["max_p95_ms"])
    if target.get("max_p99_ms") is not None:
        checks.append(row.get("p99_ms") is not None and row["p99_ms"] <= target["max_p99_ms"])
    if target.get("min_count") is not None:
        checks.append((row.get("count") or 0) >= target["min_count"])
    if target.get("none_lost"):
        checks.append(row.get("lost") == 0)
    return all(checks) if checks else None


def add_ceiling_fractions(rows: list[dict[str, Any]], ceiling_name: str = "ceiling") -> None:
    """Each HTTP row's throughput as a fraction of the ceiling row's (same server, same wrk)."""
    ceiling = next((row for row in rows if row["name"] == ceiling_name and row.get("measured")), None)
    for row in rows:
        rate = row.get("rate")
        row["of_ceiling"] = (
            round(rate / ceiling["rate"], 4)
            if ceiling and ceiling.get("rate") and rate is not None and row.get("kind") == "http"
            else None
        )


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "–"}[value]


def markdown_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | % of ceiling | peak RSS MiB | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        target = row.get("target") or {}
        if not row.get("measured", True):
            lines.append(
                f"| {row['title']} | – | – | – | – | – | – | – | {target.get('text', '–')} | "
                f"not measurable: {row.get('reason', '')} |"
            )
            continue
        fraction = row.get("of_ceiling")
        rate = _number(row.get("rate"))
        if row.get("rate") is None and row.get("count") is not None:
            rate = f"{row['count']:,} held"
        lines.append(
            "| {title} | {rate} | {p50} | {p95} | {p99} | {errors} | {ceiling} | {rss} | {target} | {met} |".format(
                title=row["title"],
                rate=rate,
                p50=_number(row.get("p50_ms")),
                p95=_number(row.get("p95_ms")),
                p99=_number(row.get("p99_ms")),
                errors=f"{row.get('errors', 0):,}",
                ceiling="–" if fraction is None else f"{fraction * 100:.0f} %",
                rss=_number(row.get("peak_rss_mib"), 0),
                target=target.get("text", "–"),
                met=_met(row.get("met")),
            )
        )
    return "\n".join(lines)


def notes(rows: list[dict[str, Any]]) -> str:
    """The rows' notes (what was counted, lost, chosen) under the table."""
    lines = [f"- **{row['title']}**: {row['note']}" for row in rows if row.get("note")]
    return "\n".join(lines)


# ---- the machine and the file ---------------------------------------------------------------------


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _memory_mib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def wrk_version(wrk: str) -> str:
    """`wrk -v` prints its version and usage, and exits 1."""
    try:
        shown = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10, check=False)
    except OSError as exc:
        return f"unavailable: {exc}"
    first = (shown.stdout or shown.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"


def machine(wrk: str) -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_mib": _memory_mib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "litestar": _version("litestar"),
        "sqlalchemy": _version("sqlalchemy"),
        "asyncpg": _version("asyncpg"),
        "uvicorn": _version("uvicorn"),
        "websockets": _version("websockets"),
        "aiosmtplib": _version("aiosmtplib"),
        "wrk": wrk_version(wrk),
    }


def results_path(started: datetime, engine: str, tickets: int, folder: Path = RESULTS_DIR) -> Path:
    """bench/results/<UTC date-time>-<engine>-<tickets>.json (committed; scratch files end in .tmp)."""
    return folder / f"{started.strftime('%Y%m%dT%H%M%SZ')}-{engine}-{tickets}.json"


def write_results(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
