"""The servers the benchmark loads: ours, the bare ceiling, or a URL given (loopback only)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from benchmarks.affinity import pinned_command
from notes.process import LOOPBACK, CommandForPort, ServerFailed, ServerProcess

STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class ServerError(RuntimeError):
    """The server did not start, or is not one this tool may load."""


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


def bare_command(port: int) -> list[str]:
    return [sys.executable, "-m", "benchmarks.bare_server", "--host", LOOPBACK, "--port", str(port)]


def subprocess_env() -> dict[str, str]:
    """Our environment (NOTES_* settings included: they configure the server under
    test), with this checkout importable wherever we were started from."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


@contextlib.contextmanager
def running_server(
    command: CommandForPort,
    *,
    log_path: Path,
    cpus: frozenset[int] | None = None,
    startup_timeout_s: float = STARTUP_TIMEOUT_S,
) -> Iterator[str]:
    """Run ``command(port)`` on a free port, pinned to ``cpus``, for the block; yields its
    base URL. ``notes.process`` starts, waits for and stops it."""
    server = ServerProcess(
        lambda port: pinned_command(list(command(port)), cpus),
        log_path=log_path,
        env=subprocess_env(),
    )
    try:
        server.start(timeout=startup_timeout_s)
    except ServerFailed as failed:
        raise ServerError(str(failed)) from None
    try:
        yield server.base_url
    finally:
        server.stop(timeout=STOP_TIMEOUT_S)
