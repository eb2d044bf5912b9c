"""Driving wrk: a scenario's requests become a Lua script (a `bench` table written from Python above
lua/scenario.lua, with lua/report.lua's done() printing one JSON line), run once to warm up and once
measured; the JSON line is what the run records."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUA = Path(__file__).parent / "lua"
MARKER = "WRK_RESULT "


@dataclass
class Requests:
    """What wrk sends: the method, headers, the paths it takes in turn, and how bodies are made."""

    method: str = "GET"
    paths: list[str] = field(default_factory=lambda: ["/"])
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # None, "create" or "reply" (see lua/scenario.lua)
    mark: str = ""
    department: str = ""
    contacts: list[str] = field(default_factory=list)
    text: str = ""


def lua_value(value: Any) -> str:
    """A Lua literal for strings, numbers, booleans, lists and string-keyed tables."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = []
        for char in value:
            if char in '"\\':
                escaped.append("\\" + char)
            elif ord(char) < 32 or ord(char) == 127:
                escaped.append(f"\\{ord(char):03d}")
            else:
                escaped.append(char)  # UTF-8 bytes are fine in a Lua string
        return '"' + "".join(escaped) + '"'
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_value(item) for item in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua_value(str(k))}] = {lua_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Lua literal for {type(value).__name__}")


def script_text(requests: Requests) -> str:
    table = {
        "method": requests.method,
        "paths": requests.paths,
        "headers": requests.headers,
        "body": requests.body,
        "mark": requests.mark,
        "department": requests.department,
        "contacts": requests.contacts or [""],
        "text": requests.text,
    }
    prelude = (
        "bench = {\n" + "".join(f"  {key} = {lua_value(value)},\n" for key, value in table.items()) + "}\n"
    )
    return prelude + (LUA / "scenario.lua").read_text() + (LUA / "report.lua").read_text()


def parse_output(output: str) -> dict[str, Any]:
    """The JSON line report.lua printed, with the socket errors summed as `socket_errors_total`."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER) :])
            result["socket_errors_total"] = sum(result["socket_errors"].values())
            result["errors"] = result["non_2xx_3xx"] + result["socket_errors_total"]
            return result
    raise ValueError("wrk printed no result line:\n" + output[-2000:])


@dataclass(frozen=True)
class WrkOptions:
    wrk: str = "/usr/bin/wrk"
    connections: int = 16
    threads: int = 2
    warmup: float = 3.0
    duration: float = 15.0
    timeout: float = 10.0


async def run_wrk(options: WrkOptions, url: str, script: Path, seconds: float) -> dict[str, Any]:
    threads = max(1, min(options.threads, options.connections))
    command = [
        options.wrk,
        f"-t{threads}",
        f"-c{options.connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(options.timeout))}s",
        "-s",
        str(script),
        url,
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=seconds + options.timeout + 30)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return parse_output(output.decode(errors="replace"))


def write_script(folder: Path, name: str, requests: Requests) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"{name}.lua"
    script.write_text(script_text(requests))
    return script


async def warm_and_measure(
    options: WrkOptions, base_url: str, requests: Requests, folder: Path, name: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(measured, warm-up) results; each phase marks its bodies apart, so they stay unique."""
    warmup = None
    if options.warmup > 0:
        warm = Requests(**{**requests.__dict__, "mark": requests.mark + "w"})
        warmup = await run_wrk(
            options, base_url, write_script(folder, f"{name}-warmup", warm), options.warmup
        )
    measured = Requests(**{**requests.__dict__, "mark": requests.mark + "m"})
    return await run_wrk(options, base_url, write_script(folder, name, measured), options.duration), warmup
