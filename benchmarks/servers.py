"""Start a server in a subprocess, wait until it answers, and always stop it."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from benchmarks.affinity import pinned_command

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
LOG_TAIL_CHARS = 4000


class ServerError(RuntimeError):
    """The server did not start, or is not one this tool may load."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def check_loopback_url(url: str) -> str:
    """The URL without a trailing slash; refuses anything but a loopback http URL.

    A load generator must never be pointed at someone else's machine by accident.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or parts.port is None:
        raise ServerError(f"--url must look like http://127.0.0.1:PORT, got {url!r}")
    host = parts.hostname
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ServerError(f"--url must be a loopback address (127.0.0.0/8, ::1), got {host}")
    if parts.path not in ("", "/") or parts.query:
        raise ServerError(f"--url must be the server's root, got {url!r}")
    return f"http://{parts.netloc}"


def notes_command(port: int, database_url: str) -> list[str]:
    return [
        *(sys.executable, "-m", "notes", "serve", "--no-access-log"),
        *("--host", LOOPBACK, "--port", str(port), "--database-url", database_url),
    ]


def bare_command(port: int) -> list[str]:
    return [sys.executable, "-m", "benchmarks.bare_server", "--host", LOOPBACK, "--port", str(port)]


def subprocess_env() -> dict[str, str]:
    """Our environment, with this checkout importable wherever we were started from."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def wait_until_healthy(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(
                f"server exited with status {process.returncode} before answering:\n"
                f"{_log_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1.0) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise ServerError(
        f"server did not answer /health within {timeout_s:.0f} s:\n{_log_tail(log_path)}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it does not exit in time."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


@contextlib.contextmanager
def running_server(
    command: list[str],
    *,
    port: int,
    log_path: Path,
    cpus: frozenset[int] | None = None,
    startup_timeout_s: float = STARTUP_TIMEOUT_S,
) -> Iterator[str]:
    """Run ``command`` (listening on ``port``) for the block; yields its base URL."""
    url = f"http://{LOOPBACK}:{port}"
    with log_path.open("wb") as log:
        # Its own session: a Ctrl-C reaches only us, and we stop the server cleanly.
        process = subprocess.Popen(
            pinned_command(command, cpus),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=subprocess_env(),
            start_new_session=True,
        )
        try:
            wait_until_healthy(url, process, log_path, startup_timeout_s)
            yield url
        finally:
            stop(process)


def _log_tail(log_path: Path) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return text[-LOG_TAIL_CHARS:] or "(empty server log)"
