"""The reliability suite's servers: real `notes serve` processes (``notes.process``),
each on a fresh loopback port, its output in a log file of the test's own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path

from notes.process import ServerProcess, notes_command, service_environment


def notes_server(
    database_url: str, log_path: Path, *, args: Sequence[str] = (), **env: str
) -> ServerProcess:
    return ServerProcess(
        notes_command(database_url, *args), log_path=log_path, env=service_environment(env)
    )


class ServerPool:
    """Every server a test starts; whatever is still running at teardown is killed."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._servers: list[ServerProcess] = []

    async def start(
        self, database_url: str, *, args: Sequence[str] = (), **env: str
    ) -> ServerProcess:
        log_path = self._directory / f"server-{len(self._servers) + 1}.log"
        server = notes_server(database_url, log_path, args=args, **env)
        self._servers.append(server)
        await asyncio.to_thread(server.start)
        return server

    def close(self) -> None:
        for server in self._servers:
            if server.alive():
                server.kill()  # the whole process group: workers of --workers N too

    def __iter__(self) -> Iterator[ServerProcess]:
        return iter(self._servers)
