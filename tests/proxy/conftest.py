"""The deployment of docs/deploy.md in miniature: nginx terminating TLS in front of
two `notes serve` processes on one fresh PostgreSQL database, which believe the
forwarded headers of 127.0.0.1 (nginx) alone."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from notes.process import ServerProcess
from tests.databases import PostgresDatabases
from tests.proxy.nginx import NginxUnavailable, ensure_nginx, nginx_process
from tests.scaleout.processes import notes_server

SERVER_ENV = {
    "NOTES_TRUSTED_PROXIES": "127.0.0.1",
    "NOTES_CURSOR_SECRET": "proxy-suite-cursor-secret",
    "NOTES_POOL_SIZE": "4",
    "NOTES_POOL_MAX_OVERFLOW": "2",
    "NOTES_METRICS": "on",
    "NOTES_LOG_FORMAT": "json",
}


@dataclasses.dataclass(frozen=True)
class Deployment:
    proxy: ServerProcess
    servers: tuple[ServerProcess, ...]
    ca_file: Path

    @property
    def url(self) -> str:
        return self.proxy.base_url


@pytest.fixture(scope="session")
def nginx() -> str:
    try:
        return ensure_nginx()
    except NginxUnavailable as error:
        pytest.fail(f"tests.proxy: {error}", pytrace=False)


@pytest.fixture(scope="session")
def deployment(
    nginx: str,
    postgres_databases: PostgresDatabases | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    if postgres_databases is None:
        message = "needs PostgreSQL: set NOTES_TEST_DATABASE_URL=postgresql+asyncpg://..."
        if os.environ.get("NOTES_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("proxy")
    name = postgres_databases.create_copy()
    started: list[ServerProcess] = []
    try:
        servers = tuple(
            notes_server(
                database_url=postgres_databases.url_for(name),
                log_path=folder / f"server-{index}.log",
                env=SERVER_ENV,
            )
            for index in range(2)
        )
        started.extend(servers)
        for server in servers:
            server.wait_ready()
        upstreams = [f"{server.host}:{server.port}" for server in servers]
        proxy = nginx_process(nginx, folder, upstreams)
        started.append(proxy)
        proxy.start()
        yield Deployment(proxy=proxy, servers=servers, ca_file=folder / "proxy.crt")
    finally:
        for process in reversed(started):
            process.stop()
        postgres_databases.drop(name)
