"""The servers the benchmark loads: ours started on a database, a floor, or a URL given."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from notes.process import CommandForPort, ServerFailed, ServerProcess, notes_command
from notes_bench.affinity import pinned_command

STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class ServerError(RuntimeError):
    """The server did not start, or is not one this tool may load."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_remote: bool = False) -> str:
    """The server's root URL without a trailing slash.

    A load generator must not be pointed at someone else's machine by accident: a
    host other than loopback (127.0.0.0/8, ::1, localhost) needs ``allow_remote``.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServerError(f"--url must look like http://127.0.0.1:8080, got {url!r}")
    if parts.path not in ("", "/") or parts.query:
        raise ServerError(f"--url must be the server's root, got {url!r}")
    if not is_loopback(parts.hostname) and not allow_remote:
        raise ServerError(
            f"{parts.hostname} is not a loopback address: give --allow-remote to load "
            "another machine (one that you are allowed to load)"
        )
    return f"{parts.scheme}://{parts.netloc}"


def server_environment() -> dict[str, str]:
    """Ours, NOTES_* included: those settings configure the server under test."""
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


@contextlib.contextmanager
def running_server(
    command: CommandForPort, *, log_path: Path, cpus: frozenset[int] | None = None
) -> Iterator[str]:
    """Run ``command(port)`` on a free port, pinned to ``cpus``, for the block; yields its
    base URL. ``notes.process`` starts, waits for and stops it."""
    server = ServerProcess(
        lambda port: pinned_command(list(command(port)), cpus),
        log_path=log_path,
        env=server_environment(),
    )
    try:
        server.start(timeout=STARTUP_TIMEOUT_S)
    except ServerFailed as failed:
        raise ServerError(str(failed)) from None
    try:
        yield server.base_url
    finally:
        server.stop(timeout=STOP_TIMEOUT_S)


class TargetOptions(Protocol):
    """The flags that say what to load, the same in every mode."""

    url: str | None
    allow_remote: bool
    database_url: str | None
    server_cpus: frozenset[int] | None


@contextlib.contextmanager
def target_server(options: TargetOptions, workdir: Path) -> Iterator[tuple[str, str | None]]:
    """The --url given, or our server started on --database-url (default: a fresh
    SQLite file in ``workdir``); yields its URL and the database it runs on."""
    if options.url is not None:
        yield check_url(options.url, allow_remote=options.allow_remote), None
        return
    database_url = options.database_url or f"sqlite+aiosqlite:///{workdir / 'notes-bench.db'}"
    with running_server(
        notes_command(database_url),
        log_path=workdir / "notes-server.log",
        cpus=options.server_cpus,
    ) as started:
        yield started, database_url
