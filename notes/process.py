"""A server in a child process: started on a free loopback port, waited for, stopped.

The one helper the test suites, the conformance command and the benchmark share to
run `notes serve` (or any other server: the bare handlers of the benchmark). It never
waits without a deadline, and whatever it started it stops: SIGTERM, so that the
server drains; then SIGKILL to its whole process group (the workers of ``--workers N``
included) when that does not end it in time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

LOOPBACK = "127.0.0.1"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 45.0
POLL_INTERVAL = 0.05
# Another process may take a free port between our probe and the server's bind.
START_ATTEMPTS = 3
LOG_TAIL_LINES = 40

CommandForPort = Callable[[int], Sequence[str]]
ReadyCheck = Callable[["ServerProcess"], bool]


class ServerFailed(RuntimeError):
    """The server did not start, or did not stop."""


def free_port(host: str = LOOPBACK) -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


# `python -P`: the interpreter's installed `notes`, never a `notes` folder that happens
# to be in the working directory, which `-m` would otherwise put first on sys.path (and
# so ahead of a PYTHONPATH that a benchmark's variant sets).
NOTES_MODULE = (sys.executable, "-P", "-m", "notes")


def notes_command(database_url: str, *args: str, host: str = LOOPBACK) -> CommandForPort:
    """`python -P -m notes serve` on a database, with an access log off unless `args` say so."""

    def command(port: int) -> list[str]:
        return [
            *NOTES_MODULE,
            *("serve", "--no-access-log"),
            *("--host", host, "--port", str(port), "--database-url", database_url, *args),
        ]

    return command


def service_environment(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its NOTES_* settings, plus `overrides`: a
    server started for a test or a benchmark is configured by its caller alone."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NOTES_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides or {})
    return env


def http_status(
    url: str, *, timeout: float = 2.0, context: ssl.SSLContext | None = None
) -> int | None:
    """The status of a GET, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, TimeoutError):
        return None


class ServerProcess:
    """One server process in a session of its own, its output in a log file.

    ``command(port)`` is its command line; without a ``port`` a free one is chosen
    (and another if the server finds it taken). It is ready when ``GET <ready_path>``
    answers 200 and ``ready_when(self)``, if given, holds. With ``tls_ca`` (a CA
    certificate file) it is spoken to over HTTPS, checked against that CA (a TLS
    proxy in front of servers). Use it as a context manager, or call ``start()`` and
    ``stop()``.
    """

    def __init__(
        self,
        command: CommandForPort,
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        host: str = LOOPBACK,
        ready_path: str = "/health",
        ready_when: ReadyCheck | None = None,
        tls_ca: Path | None = None,
    ) -> None:
        self._command = command
        self.log_path = log_path
        self.env = service_environment() if env is None else dict(env)
        self._fixed_port = port
        self.host = host
        self.port = port or 0
        self._ready_path = ready_path
        self._ready_when = ready_when
        self._tls = None if tls_ca is None else ssl.create_default_context(cafile=str(tls_ca))
        self._process: subprocess.Popen[bytes] | None = None
        self._terminated = False

    @property
    def base_url(self) -> str:
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise ServerFailed("the server was never started")
        return self._process

    @property
    def pid(self) -> int:
        return self.process.pid

    def spawn(self) -> ServerProcess:
        """Start the process without waiting for it (see `wait_ready`)."""
        self.port = self._fixed_port or free_port(self.host)
        self._terminated = False
        with self.log_path.open("ab") as log:
            log.write(f"--- start on port {self.port}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                list(self._command(self.port)),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                # Its own group: a Ctrl-C reaches only us, and a kill reaches its workers.
                start_new_session=True,
            )
        return self

    def start(self, timeout: float = READY_TIMEOUT) -> ServerProcess:
        """Spawn the process and wait until it is ready; `ServerFailed` with its log if not."""
        for _attempt in range(START_ATTEMPTS):
            self.spawn()
            if self._ready_within(timeout):
                return self
            self.kill()
            taken = "address already in use" in self.log_tail().lower()
            if not taken or self._fixed_port is not None:
                break
        raise ServerFailed(f"the server did not start on port {self.port}:\n{self.log_tail()}")

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> ServerProcess:
        """Until a spawned server answers; `ServerFailed` if it exits or takes too long."""
        if not self._ready_within(timeout):
            state = "exited" if self.process.poll() is not None else "is not ready"
            raise ServerFailed(f"the server {state} (port {self.port}):\n{self.log_tail()}")
        return self

    def _ready_within(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        url = f"{self.base_url}{self._ready_path}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if http_status(url, context=self._tls) == 200 and (
                self._ready_when is None or self._ready_when(self)
            ):
                return True
            time.sleep(POLL_INTERVAL)
        return False

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def send_signal(self, signum: int) -> None:
        if signum == signal.SIGTERM:
            self._terminated = True
        self.process.send_signal(signum)

    def terminate(self) -> None:
        """SIGTERM, once: a second one could cut a drain short."""
        if not self._terminated and self.alive():
            self.send_signal(signal.SIGTERM)

    def kill(self) -> int:
        """SIGKILL to the whole process group: no chance to flush, close or answer."""
        if self._process is None:
            return 0
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)
        return self._process.wait(timeout=STOP_TIMEOUT)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """The exit status; `subprocess.TimeoutExpired` if it still runs after `timeout`."""
        return self.process.wait(timeout)

    def exit_code(self, within: float) -> int | None:
        """The exit status, or None if the process still runs after `within` seconds."""
        try:
            return self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM and wait; SIGKILL the group when that does not end it in time."""
        if self._process is None:
            return 0
        self.terminate()
        code = self.exit_code(timeout)
        if code is None:
            return self.kill()
        # Workers of a supervisor that died first must not outlive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)
        return code

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(empty server log)"

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
