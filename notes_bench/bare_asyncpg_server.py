"""The PostgreSQL floor: aiohttp on a raw asyncpg pool, on our own notes table.

What a hand-tuned server does with the least work: uvloop, a pool of 10 asyncpg
connections, statements prepared once per connection (asyncpg's statement cache),
orjson, no validation, no ETag, no access log. It answers the benchmark's requests as
ours does (``GET /notes/{id}``, ``GET /notes?limit=N`` in id order, ``POST /notes``)
and ``GET /`` with a fixed body for the client's ceiling. The table must exist: the
database must be migrated first (`notes db upgrade`), as for our server.

    python -m notes_bench.bare_asyncpg_server --port 8082 \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from aiohttp import web

from notes_bench.bare_server import BODY, serve

POOL_SIZE = 10
_COLUMNS = "id, title, description, created_at, created_by, priority, updated_at"
READ_ONE = f"SELECT {_COLUMNS} FROM notes WHERE id = $1"
READ_PAGE = f"SELECT {_COLUMNS} FROM notes ORDER BY id LIMIT $1"
CREATE = (
    "INSERT INTO notes (title, description, created_at, created_by, priority, updated_at,"
    " version, title_folded, description_folded)"
    f" VALUES ($1, $2, $3, $4, $5, $3, 1, $6, $7) RETURNING {_COLUMNS}"
)
POOL = web.AppKey("pool", asyncpg.Pool)


def _note(row: asyncpg.Record) -> dict[str, Any]:
    note = dict(row)
    note["created_at"] = row["created_at"].isoformat() + "Z"
    note["updated_at"] = row["updated_at"].isoformat() + "Z"
    return note


def _json(value: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(value), status=status, content_type="application/json")


async def plain(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


async def read_one(request: web.Request) -> web.Response:
    row = await request.app[POOL].fetchrow(READ_ONE, int(request.match_info["note_id"]))
    if row is None:
        return _json({"title": "Not Found", "status": 404}, status=404)
    return _json(_note(row))


async def read_page(request: web.Request) -> web.Response:
    rows = await request.app[POOL].fetch(READ_PAGE, int(request.query.get("limit", "20")))
    return _json({"items": [_note(row) for row in rows]})


async def create(request: web.Request) -> web.Response:
    body = orjson.loads(await request.read())
    title, description = body["title"], body.get("description", "")
    now = datetime.now(UTC).replace(tzinfo=None)
    row = await request.app[POOL].fetchrow(
        CREATE,
        title,
        description,
        now,
        body.get("created_by", "anonymous"),
        body.get("priority", 0),
        title.casefold(),
        description.casefold(),
    )
    assert row is not None  # INSERT ... RETURNING gives its row
    response = _json(_note(row), status=201)
    response.headers["Location"] = f"/notes/{row['id']}"
    return response


def create_app(database_url: str) -> web.Application:
    app = web.Application()
    # asyncpg takes the libpq form of the URL, without SQLAlchemy's driver name.
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def pool(app: web.Application) -> Any:
        async with asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE) as opened:
            app[POOL] = opened
            yield

    app.cleanup_ctx.append(pool)
    app.router.add_get("/notes/{note_id:\\d+}", read_one)
    app.router.add_get("/notes", read_page)
    app.router.add_post("/notes", create)
    app.router.add_get("/{tail:.*}", plain)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m notes_bench.bare_asyncpg_server", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args(argv)
    serve(create_app(args.database_url), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
