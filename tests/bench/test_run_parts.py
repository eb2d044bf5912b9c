"""The deterministic parts of `linka bench run` (bench/run.py, bench/load/): reading wrk's result line,
writing the Lua that drives it, checking rows against the issue's targets, and the Markdown table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench.load import results, wrk
from bench.load.http_scenarios import report_row
from bench.run import ALL_NAMES, listing, parse_args

WRK_OUTPUT = """Running 15s test @ http://127.0.0.1:8123
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    20.11ms    5.20ms  81.00ms   90.00%
WRK_RESULT {"requests":9000,"duration_s":15.002,"requests_per_s":599.92,"bytes":123456,"p50_ms":19.500,"p95_ms":31.250,"p99_ms":55.000,"max_ms":81.000,"mean_ms":20.110,"non_2xx_3xx":3,"socket_errors":{"connect":0,"read":1,"write":0,"timeout":2}}
Requests/sec:    599.92
"""


def test_the_result_line_of_wrk_is_read_with_its_errors_summed() -> None:
    parsed = wrk.parse_output(WRK_OUTPUT)
    assert parsed["requests"] == 9000
    assert parsed["requests_per_s"] == 599.92
    assert (parsed["p50_ms"], parsed["p95_ms"], parsed["p99_ms"], parsed["max_ms"]) == (
        19.5,
        31.25,
        55.0,
        81.0,
    )
    assert parsed["socket_errors_total"] == 3
    assert parsed["errors"] == 6  # 3 answers above 399 and 3 socket errors


def test_output_without_a_result_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="no result line"):
        wrk.parse_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_lua_literals_escape_what_would_end_or_break_a_string() -> None:
    assert wrk.lua_value('say "hi"\\\n') == '"say \\"hi\\"\\\\\\010"'
    assert wrk.lua_value(["a", 2, True, None]) == '{"a", 2, true, nil}'
    assert wrk.lua_value({"Authorization": "Bearer lk_x"}) == '{["Authorization"] = "Bearer lk_x"}'
    assert wrk.lua_value("hőszivattyú") == '"hőszivattyú"'  # UTF-8 is kept as it is


def test_the_script_carries_the_scenario_and_reports_one_json_line() -> None:
    script = wrk.script_text(
        wrk.Requests(
            method="POST",
            paths=["/api/v1/tickets/AAA-BBB-CCC/replies"],
            headers={"Authorization": "Bearer lk_token"},
            body="reply",
            mark="bench-1m",
            text="Dobrý den",
        )
    )
    assert script.startswith("bench = {\n")
    assert '  method = "POST",\n' in script
    assert '  paths = {"/api/v1/tickets/AAA-BBB-CCC/replies"},\n' in script
    assert '  contacts = {""},\n' in script  # never an empty list: Lua's # of it would be 0
    assert "function request()" in script
    assert "function done(summary, latency, requests)" in script
    assert "WRK_RESULT " in script


def test_rows_are_checked_against_the_targets_of_the_issue() -> None:
    target = results.LIST_TARGET.as_dict()
    assert results.meets(target, {"rate": 612.0, "p95_ms": 41.0}) is True
    assert results.meets(target, {"rate": 499.9, "p95_ms": 41.0}) is False
    assert results.meets(target, {"rate": 900.0, "p95_ms": 50.1}) is False
    assert results.meets(None, {"rate": 900.0}) is None
    intake = results.INTAKE_TARGET.as_dict()
    assert results.meets(intake, {"rate": 250.0, "lost": 0}) is True
    assert results.meets(intake, {"rate": 250.0, "lost": 1}) is False
    idle = results.IDLE_TARGET.as_dict()
    assert results.meets(idle, {"count": 5000}) is True
    assert results.meets(idle, {"count": 4999}) is False
    chat = results.CHAT_LATENCY_TARGET.as_dict()
    assert results.meets(chat, {"rate": 199.0, "p99_ms": 12.0, "lost": 0}) is True
    assert results.meets(chat, {"rate": 20.0, "p99_ms": 12.0, "lost": 0}) is False  # not at 200/s
    assert results.meets(report_row()["target"], report_row()) is None


def _row(name: str, rate: float, p95: float, target: results.Target | None = None) -> dict[str, object]:
    return {
        "name": name,
        "title": name,
        "kind": "http",
        "measured": True,
        "rate": rate,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p95 * 1.5,
        "errors": 0,
        "peak_rss_mib": 310.4,
        "target": target.as_dict() if target else None,
    }


def test_the_table_shows_the_share_of_the_ceiling_targets_and_what_was_not_measurable() -> None:
    rows = [
        _row("ceiling", 2000.0, 9.0),
        _row("list", 500.0, 60.0, results.LIST_TARGET),
        report_row(),
        {
            "name": "chat-idle",
            "title": "idle",
            "kind": "chat",
            "count": 5000,
            "errors": 0,
            "target": results.IDLE_TARGET.as_dict(),
        },
    ]
    results.add_ceiling_fractions(rows)
    for row in rows:
        row["met"] = results.meets(row.get("target"), row)
    table = results.markdown_table(rows).splitlines()
    assert table[0].startswith("| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | % of ceiling |")
    assert table[2] == "| ceiling | 2,000.0 | 4.5 | 9.0 | 13.5 | 0 | 100 % | 310 | – | – |"
    assert (
        table[3]
        == "| list | 500.0 | 30.0 | 60.0 | 90.0 | 0 | 25 % | 310 | ≥ 500 req/s, p95 ≤ 50 ms | **no** |"
    )
    assert "not measurable: no report endpoint exists yet" in table[4]
    assert table[5].startswith("| idle | 5,000 held |")
    assert table[5].endswith("| yes |")
    assert rows[1]["of_ceiling"] == 0.25


def test_the_results_file_is_named_by_time_engine_and_tickets(tmp_path: Path) -> None:
    started = datetime(2026, 12, 3, 14, 5, 9, tzinfo=UTC)
    path = results.results_path(started, "postgresql", 1_000_000, tmp_path)
    assert path == tmp_path / "20261203T140509Z-postgresql-1000000.json"


def test_only_keeps_the_listed_order_and_refuses_unknown_names() -> None:
    args = parse_args(["--only", "search-rare,ceiling, chat-idle"])
    assert args.selected == ["ceiling", "search-rare", "chat-idle"]
    assert parse_args([]).selected == ALL_NAMES
    with pytest.raises(SystemExit):
        parse_args(["--only", "ceiling,nonsense"])
    assert "report-30d" in listing()
