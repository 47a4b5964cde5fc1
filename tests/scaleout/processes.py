"""Real `notes serve` processes on real loopback ports, and the processes behind them.

Every wait here is bounded by a deadline; every process started here is stopped
(SIGTERM, then SIGKILL of its own process group) by whoever started it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

HOST = "127.0.0.1"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 45.0
POLL_INTERVAL = 0.1
RUNNING_LINE = "======== Running on"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def service_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any NOTES_* setting, plus ``overrides``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NOTES_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides or {})
    return env


def http_status(url: str, *, timeout: float = 5.0) -> int | None:
    """The status of a GET, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, TimeoutError):
        return None


class ServerProcess:
    """`python -m notes serve` (optionally `--workers N`) in a process group of its own."""

    def __init__(
        self,
        *,
        database_url: str,
        log_path: Path,
        workers: int = 1,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.workers = workers
        self.log_path = log_path
        self.base_url = f"http://{HOST}:{self.port}"
        self._terminated = False
        command = [
            sys.executable,
            "-m",
            "notes",
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--database-url",
            database_url,
            "--no-access-log",
        ]
        if workers > 1:
            command += ["--workers", str(workers)]
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=service_env(env),
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> ServerProcess:
        """Until every worker has said it runs and /health answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            if (
                self.log().count(RUNNING_LINE) >= self.workers
                and http_status(f"{self.base_url}/health", timeout=2) == 200
            ):
                return self
            time.sleep(POLL_INTERVAL)
        raise RuntimeError(f"server not ready within {timeout} s:\n{self.log()}")

    def signal(self, signum: int) -> None:
        if signum == signal.SIGTERM:
            self._terminated = True
        self.process.send_signal(signum)

    def terminate(self) -> None:
        """SIGTERM, once: a second one could cut a drain short."""
        if not self._terminated and self.process.poll() is None:
            self.signal(signal.SIGTERM)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        return self.process.wait(timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM and wait; SIGKILL the whole group when that does not end it in time."""
        self.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            return self.process.wait(timeout)

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _command_line(pid: int) -> Sequence[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ()
    return raw.decode(errors="replace").split("\0")


def worker_pids(supervisor_pid: int) -> set[int]:
    """The supervisor's worker processes (spawned children), not its resource tracker."""
    pids: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if _parent_pid(pid) != supervisor_pid:
            continue
        if any("spawn_main" in part for part in _command_line(pid)):
            pids.add(pid)
    return pids


def is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
