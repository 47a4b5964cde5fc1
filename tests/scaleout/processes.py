"""Real `notes serve` processes on real loopback ports (``notes.process``), with or
without ``--workers N``: ready once every worker runs and /health answers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from notes.process import ServerProcess, notes_command, service_environment

RUNNING_LINE = "======== Running on"


def notes_server(
    *,
    database_url: str,
    log_path: Path,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
) -> ServerProcess:
    """A server, spawned and not waited for (``wait_ready``): several start side by side."""
    args = ("--workers", str(workers)) if workers > 1 else ()
    server = ServerProcess(
        notes_command(database_url, *args),
        log_path=log_path,
        env=service_environment(env),
        port=port,
        ready_when=lambda server: server.log_text().count(RUNNING_LINE) >= workers,
    )
    return server.spawn()
