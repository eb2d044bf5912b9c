"""Linka as production runs it: `linka serve --workers N` on 127.0.0.1 and a free port, with its own
data folder, the bench's database (and Redis when given), started in its own process group and stopped
with SIGTERM (then SIGKILL). Its memory is the resident set of the whole process tree (the uvicorn
master and its workers), read from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def linka_command() -> list[str]:
    """The `linka` script of this venv (as an operator types it), else the module."""
    script = Path(sys.executable).with_name("linka")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "linka.entrypoints.cli.main"]


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command may contain spaces and parentheses: the fields after the last ')' are safe.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(root: int) -> list[int]:
    children = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    return total


def open_files_limit(pid: int) -> str | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return f"{soft}/{hard}"
    return None


class BenchServer:
    def __init__(
        self, *, database_url: str, redis_url: str, workers: int, folder: Path, secret_key: str
    ) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.workers = workers
        self.folder = folder
        self.secret_key = secret_key
        self.port = free_port()
        self.smtp_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"server-{workers}w-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LINKA_")}
        env.update(self.settings())
        return env

    def settings(self) -> dict[str, str]:
        """The LINKA_ settings the bench server runs with (all at their defaults apart from these)."""
        settings = {
            "LINKA_DATABASE_URL": self.database_url,
            "LINKA_DATA_DIR": str(self.folder / "data"),
            "LINKA_SECRET_KEY": self.secret_key,
            "LINKA_BASE_URL": self.base_url,
            "LINKA_HOST": "127.0.0.1",
            "LINKA_SMTP_HOST": "127.0.0.1",
            "LINKA_SMTP_PORT": str(self.smtp_port),
        }
        if self.redis_url:
            settings["LINKA_REDIS_URL"] = self.redis_url
        return settings

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            *linka_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=self.environment(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def _log_count(self, text: str) -> int:
        try:
            return self.log_path.read_text(errors="replace").count(text)
        except OSError:
            return 0

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until /readyz answers 200 and every worker has finished its start-up (each logs it once),
        with no worker replaced for a second."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"linka serve exited ({self.process.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                started = self._log_count("Application startup complete.")
                if (
                    started >= self.workers
                    and httpx.get(self.base_url + "/readyz", timeout=2.0).status_code == 200
                ):
                    died = self._log_count("died")
                    time.sleep(1.0)
                    if self._log_count("died") == died:
                        return
            time.sleep(0.2)
        hint = ""
        if self._log_count("died"):
            hint = (
                "\nuvicorn replaced workers that did not answer its health check within 5 s while still "
                f"starting (load average {os.getloadavg()[0]:.1f}): the machine is too busy"
            )
        raise RuntimeError(f"linka serve was not ready after {timeout:.0f} s:\n{self.log_tail()}{hint}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def pids(self) -> list[int]:
        return process_tree(self.pid) if self.process is not None else []

    def rss(self) -> int:
        return rss_bytes(self.pids())

    def open_files_limits(self) -> dict[str, str | None]:
        return {str(pid): open_files_limit(pid) for pid in self.pids()}

    def stop(self, grace: float = 20.0) -> int | None:
        """SIGTERM to the uvicorn master (it stops its workers), then SIGKILL to the group if needed."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Workers left behind by a killed master belong to the group we started.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.returncode


class RssSampler:
    """The peak resident memory of the server's process tree, sampled every 0.25 s in a thread (the
    event loop of the client may be too busy to keep time)."""

    def __init__(self, server: BenchServer, every: float = 0.25) -> None:
        self.server = server
        self.every = every
        self.peak = 0
        self.last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self) -> int:
        self.last = self.server.rss()
        self.peak = max(self.peak, self.last)
        return self.last

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    @property
    def peak_mib(self) -> float:
        return round(self.peak / 2**20, 1)
