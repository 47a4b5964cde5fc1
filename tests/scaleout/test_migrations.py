"""`notes db upgrade` / `downgrade` on PostgreSQL, from a database that holds nothing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import make_url

from notes.cli import main
from notes.process import http_status, service_environment
from notes.storage.migrations import head_revision
from tests.databases import PostgresDatabases
from tests.scaleout.conftest import StartServer

pytestmark = pytest.mark.postgres

INDEXES = {
    "pk_notes": "(id)",
    "ix_notes_priority_id": "(priority, id)",
    "ix_notes_created_at_id": "(created_at, id)",
    "ix_notes_updated_at_id": "(updated_at, id)",
    "ix_notes_title_id": "(title, id)",
    "ix_notes_created_by_id": "(created_by, id)",
    # 0005: each sort key descending, and both directions behind created_by and priority.
    **{
        f"ix_notes_{'_'.join(column.replace(' ', '_').lower() for column in columns)}": (
            f"({', '.join(columns)})"
        )
        for columns in (
            *((f"{key} DESC", "id") for key in ("priority", "created_at", "updated_at", "title")),
            *(
                (prefix, key, "id")
                for prefix in ("created_by", "priority")
                for key in ("priority", "created_at", "updated_at", "title")
                if key != prefix
            ),
            *(
                (prefix, f"{key} DESC", "id")
                for prefix in ("created_by", "priority")
                for key in ("priority", "created_at", "updated_at", "title")
                if key != prefix
            ),
            # 0006: behind both filters, the keys (created_by, priority, id) does not serve.
            *(
                ("created_by", "priority", ordered, "id")
                for key in ("created_at", "updated_at", "title")
                for ordered in (key, f"{key} DESC")
            ),
        )
    },
}
# 0005: q's candidates, by trigram (pg_trgm).
TRIGRAM_INDEXES = {
    "ix_notes_title_folded_trgm": "USING gin (title_folded gin_trgm_ops)",
    "ix_notes_description_folded_trgm": "USING gin (description_folded gin_trgm_ops)",
}
COLUMNS = {
    "id": ("bigint", None, None),
    "title": ("character varying", 200, "C"),
    "description": ("text", None, None),
    "created_at": ("timestamp without time zone", None, None),
    "created_by": ("character varying", 100, None),
    "priority": ("integer", None, None),
    "updated_at": ("timestamp without time zone", None, None),
    "version": ("integer", None, None),
    "title_folded": ("text", None, None),
    "description_folded": ("text", None, None),
    "representation": ("bytea", None, None),
}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _fetch(url: str, query: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


def fetch(url: str, query: str) -> list[tuple[Any, ...]]:
    return asyncio.run(_fetch(url, query))


@pytest.fixture
def empty_database(postgres: PostgresDatabases, require_postgres: str) -> Iterator[str]:
    """A database created here, with no schema in it at all; dropped afterwards."""
    name = f"notes_scaleout_empty_{uuid.uuid4().hex[:10]}"
    fetch(require_postgres, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(require_postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        fetch(require_postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def notes_cli(*args: str) -> None:
    """`python -m notes ARGS` in a process of its own, as an operator runs it."""
    subprocess.run(
        [sys.executable, "-m", "notes", *args],
        env=service_environment(),
        check=True,
        capture_output=True,
        timeout=120,
    )


def notes_main(*args: str) -> None:
    """The same command in this process (no interpreter start-up to wait for)."""
    assert main(list(args)) == 0


def schema(url: str) -> dict[str, Any]:
    columns = fetch(
        url,
        "SELECT column_name, data_type, character_maximum_length, collation_name, is_nullable "
        "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'notes'",
    )
    indexes = fetch(
        url,
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = 'public' AND tablename = 'notes'",
    )
    tables = fetch(
        url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    return {
        "tables": sorted(row[0] for row in tables),
        "columns": {row[0]: row[1:] for row in columns},
        "indexes": dict(indexes),
    }


def _assert_head_schema(url: str) -> dict[str, Any]:
    found = schema(url)
    assert found["tables"] == ["alembic_version", "idempotency_keys", "notes", "users"]
    keys = fetch(
        url,
        "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE tablename = 'idempotency_keys' ORDER BY 1",
    )
    assert [(name, definition.split(" USING ")[-1]) for name, definition in keys] == [
        ("ix_idempotency_keys_created_at", "btree (created_at)"),
        ("pk_idempotency_keys", "btree (owner, key)"),
    ]
    users = fetch(
        url, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'users' ORDER BY 1"
    )
    assert [(name, definition.split(" USING ")[-1]) for name, definition in users] == [
        ("ix_users_name", "btree (name)"),
        ("ix_users_token_digest", "btree (token_digest)"),
        ("pk_users", "btree (id)"),
    ]
    assert all(definition.startswith("CREATE UNIQUE") for _, definition in users)
    assert {name: spec[:3] for name, spec in found["columns"].items()} == COLUMNS
    # Only the stored copy may be missing (0007: a page is then built from the columns).
    nullable = {name for name, spec in found["columns"].items() if spec[3] == "YES"}
    assert nullable == {"representation"}
    assert set(found["indexes"]) == set(INDEXES) | set(TRIGRAM_INDEXES)
    for name, columns in INDEXES.items():
        assert found["indexes"][name].endswith(f"USING btree {columns}"), found["indexes"][name]
    for name, method in TRIGRAM_INDEXES.items():
        assert found["indexes"][name].endswith(method), found["indexes"][name]
    assert fetch(url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    # The database assigns ids itself (a sequence behind the bigint column).
    assert fetch(url, "SELECT pg_get_serial_sequence('notes', 'id') IS NOT NULL") == [(True,)]
    return found


def test_upgrade_downgrade_upgrade_from_an_empty_database(empty_database: str) -> None:
    assert schema(empty_database)["tables"] == []
    notes_cli("db", "upgrade", "--database-url", empty_database)
    first = _assert_head_schema(empty_database)

    notes_main("db", "downgrade", "base", "--database-url", empty_database)
    assert schema(empty_database)["tables"] == ["alembic_version"]
    assert fetch(empty_database, "SELECT version_num FROM alembic_version") == []

    notes_main("db", "upgrade", "--database-url", empty_database)
    assert _assert_head_schema(empty_database) == first
    # Upgrading an up-to-date database changes nothing.
    notes_main("db", "upgrade", "--database-url", empty_database)
    assert _assert_head_schema(empty_database) == first


def test_migrated_schema_orders_titles_by_code_point_and_ids_are_64_bit(
    empty_database: str,
) -> None:
    notes_main("db", "upgrade", "--database-url", empty_database)
    titles = ["b", "B", "_", "a", "\u00e9", "A", "Z", "\u4e2d", "%", "\U0001f600"]
    values = ", ".join(
        f"({number}, '{title}', '', now(), 'x', 0, now(), 1, '', '')"
        for number, title in enumerate(titles, start=2**40)
    )
    fetch(
        empty_database,
        "INSERT INTO notes (id, title, description, created_at, created_by, priority, "
        f"updated_at, version, title_folded, description_folded) VALUES {values}",
    )
    ordered = fetch(empty_database, "SELECT title FROM notes ORDER BY title, id")
    assert [row[0] for row in ordered] == sorted(titles)
    assert fetch(empty_database, "SELECT max(id) FROM notes") == [(2**40 + len(titles) - 1,)]


async def test_a_server_on_an_unmigrated_database_does_not_report_healthy(
    empty_database: str, start_server: StartServer
) -> None:
    server = start_server(empty_database)
    # Either refusing to start or a 503 from /health would keep the balancer away.
    for _ in range(600):
        if server.process.poll() is not None:
            assert server.process.returncode != 0
            return
        status = await asyncio.to_thread(http_status, f"{server.base_url}/health", timeout=2)
        if status is not None:
            assert status == 503, f"/health is {status} on a database with no schema"
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the server neither started nor exited")
