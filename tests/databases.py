"""Throw-away PostgreSQL databases for tests: one migrated template, cheap copies of it."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import URL, make_url

from notes.storage.migrations import upgrade_database


def postgres_admin_url(url: str) -> URL:
    """The URL as given, with the asyncpg driver, for creating and dropping databases."""
    return make_url(url).set(drivername="postgresql+asyncpg")


class PostgresDatabases:
    """Creates databases named ``<prefix>_*`` on one server and drops every one of them."""

    def __init__(self, admin_url: URL, *, prefix: str) -> None:
        self._admin_url = admin_url
        self._prefix = prefix
        self._template = f"{prefix}_template"
        self._created: list[str] = []
        self._count = 0

    def url_for(self, name: str) -> str:
        return self._admin_url.set(database=name).render_as_string(hide_password=False)

    def create_template(self) -> None:
        self._execute(f'CREATE DATABASE "{self._template}"')
        self._created.append(self._template)
        upgrade_database(self.url_for(self._template))

    def create_copy(self) -> str:
        self._count += 1
        name = f"{self._prefix}_{self._count}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        self._created.append(name)
        return name

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.remove(name)

    def drop_all(self) -> None:
        for name in reversed(list(self._created)):
            self.drop(name)

    def _execute(self, sql: str) -> None:
        async def run() -> None:
            dsn = self._admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
            connection = await asyncpg.connect(dsn, timeout=10)
            try:
                await connection.execute(sql)
            finally:
                await connection.close()

        asyncio.run(run())
