"""`python -m notes serve` as a real child process: start, wait until ready, kill, terminate."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import aiohttp

HOST = "127.0.0.1"
READY_TIMEOUT = 30.0
# A child that fails to bind (another suite took the port meanwhile) is retried on a new one.
START_ATTEMPTS = 3


class ServerFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def child_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """The test's environment without its NOTES_* variables, plus this server's own."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("NOTES_")}
    environ.update(overrides)
    return environ


class ServerProcess:
    """One `notes serve` process on a fresh loopback port; its output goes to a log file."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        env: Mapping[str, str],
        args: Sequence[str] = (),
    ) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.env = dict(env)
        self.args = list(args)
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise ServerFailed("the server was never started")
        return self._process

    def _spawn(self) -> None:
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "notes",
            "serve",
            "--port",
            str(self.port),
            "--database-url",
            self.database_url,
            "--no-access-log",
            *self.args,
        ]
        with self.log_path.open("ab") as log:
            log.write(f"--- start on port {self.port}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=child_environment(self.env),
            )

    async def start(self) -> None:
        for _attempt in range(START_ATTEMPTS):
            self._spawn()
            if await self._wait_ready():
                return
            if "address already in use" not in self.log_tail().lower():
                break
        raise ServerFailed(f"the server did not start:\n{self.log_tail()}")

    def start_blocking(self) -> None:
        """``start`` for synchronous fixtures (outside any event loop)."""
        for _attempt in range(START_ATTEMPTS):
            self._spawn()
            if self._wait_ready_blocking():
                return
            if "address already in use" not in self.log_tail().lower():
                break
        raise ServerFailed(f"the server did not start:\n{self.log_tail()}")

    def _wait_ready_blocking(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.base_url}/health", timeout=2) as response,
            ):
                if response.status == 200:
                    return True
            time.sleep(0.05)
        self.kill()
        return False

    async def _wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return False
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(f"{self.base_url}/health") as response:
                        if response.status == 200:
                            return True
                await asyncio.sleep(0.05)
        self.kill()
        return False

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def kill(self) -> int:
        """SIGKILL: no chance to flush, close or answer anything."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=30)

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    async def wait_exit(self, within: float) -> int | None:
        """The exit code, or None if the process is still running after ``within`` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                return code
            await asyncio.sleep(0.02)
        return self.process.poll()

    def memory_kib(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) of the process, in KiB, from /proc."""
        status = Path(f"/proc/{self.pid}/status").read_text(encoding="ascii")
        values: dict[str, int] = {}
        for line in status.splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
        return values

    def children(self) -> list[int]:
        """The pids of this process's children (the workers of `serve --workers N`)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # "pid (comm) state ppid ...": comm may hold spaces, so split after ")".
                fields = stat.read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1]
                if int(fields.split()[1]) == self.pid:
                    children.append(int(stat.parent.name))
        return sorted(children)

    def workers(self) -> list[int]:
        """The children that are `serve --workers N` workers (not multiprocessing's helpers)."""
        found = []
        for pid in self.children():
            with contextlib.suppress(OSError):
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
        return found

    def is_running(self, pid: int) -> bool:
        """Whether ``pid`` is a live process (not a zombie)."""
        try:
            status = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            return False
        return status.rsplit(")", 1)[1].split()[0] != "Z"

    def open_sockets(self) -> int:
        fd_dir = Path(f"/proc/{self.pid}/fd")
        count = 0
        for entry in fd_dir.iterdir():
            with contextlib.suppress(OSError):
                if str(entry.readlink()).startswith("socket:"):
                    count += 1
        return count

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class ServerPool:
    """Every server a test starts; whatever is still running at teardown is killed."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._servers: list[ServerProcess] = []

    async def start(
        self, database_url: str, *, args: Sequence[str] = (), **env: str
    ) -> ServerProcess:
        log_path = self._directory / f"server-{len(self._servers) + 1}.log"
        server = ServerProcess(database_url, log_path, env, args)
        self._servers.append(server)
        await server.start()
        return server

    def close(self) -> None:
        for server in self._servers:
            if server.alive():
                # Workers of `--workers N` first: they would outlive a killed supervisor.
                for child in server.children():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGKILL)
                server.kill()

    def __iter__(self) -> Iterator[ServerProcess]:
        return iter(self._servers)
