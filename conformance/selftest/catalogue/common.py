"""Machinery several violations share: values shown instead of the stored ones, ETags
handed out instead of the server's, ids renumbered, links rewritten."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from yarl import URL

from conformance.selftest.traffic import (
    ITEM_PATH,
    Exchange,
    JsonObject,
    Reply,
    entity_tags,
    map_notes,
    with_params,
)
from conformance.selftest.violation import Context, Handler

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
NOTE_FIELDS = ("title", "description", "created_at", "created_by", "priority")
SORTS = frozenset({"id", "priority", "created_at", "updated_at", "title"})
VALID_SORTS = SORTS | {f"-{key}" for key in SORTS}
LISTING_PARAMETERS = frozenset({"limit", "cursor", "sort", "created_by", "priority", "q"})
DEFAULT_LIMIT = 100


class Overrides:
    """Values some notes show instead of the stored ones: what a server that stored
    something else (a value it should have refused, a stale time) would show."""

    def __init__(self) -> None:
        self.values: dict[int, dict[str, Any]] = {}

    def set(self, note_id: int, field: str, value: Any) -> None:
        self.values.setdefault(note_id, {})[field] = value

    def forget(self, note_id: int, field: str | None = None) -> None:
        if field is None:
            self.values.pop(note_id, None)
        else:
            self.values.get(note_id, {}).pop(field, None)

    def apply(self, reply: Reply) -> Reply:
        def edit(note: JsonObject) -> JsonObject | None:
            shown = self.values.get(note["id"])
            if not shown or all(note.get(key) == value for key, value in shown.items()):
                return None
            return {key: shown.get(key, value) for key, value in note.items()}

        return map_notes(reply, edit) or reply


def note_of(reply: Reply) -> JsonObject | None:
    body = reply.json_object() if reply.ok else None
    return body if body is not None and "id" in body else None


async def current_note(context: Context, note_id: int) -> tuple[JsonObject | None, str | None]:
    """The note as the server has it now, and its ETag (the proxy's own read)."""
    reply = await context.fetch("GET", f"/notes/{note_id}")
    return note_of(reply), reply.headers.get("ETag")


# ETags ------------------------------------------------------------------------------

TagMap = Callable[[int, str], str]


def inner(tag: str) -> str:
    """The opaque part of an entity-tag, without W/ and quotes."""
    return tag.removeprefix("W/").strip('"')


def map_request_tags(exchange: Exchange, note_id: int, back: TagMap) -> Exchange:
    """If-Match and If-None-Match with each tag passed through `back` (`*` kept)."""
    for name in ("If-Match", "If-None-Match"):
        value = exchange.headers.get(name)
        if value is None:
            continue
        tags = [tag if tag == "*" else back(note_id, tag) for tag in entity_tags(value)]
        exchange = exchange.with_header(name, ", ".join(tags))
    return exchange


def map_reply_tag(reply: Reply, note_id: int, out: TagMap) -> Reply:
    tag = reply.headers.get("ETag")
    return reply if tag is None else reply.with_header("ETag", out(note_id, tag))


def note_id_of(exchange: Exchange, reply: Reply) -> int | None:
    """Which note a reply's ETag belongs to: the path's, or the created one's."""
    if exchange.note_id is not None:
        return exchange.note_id
    note = note_of(reply) if exchange.is_create else None
    return None if note is None else int(note["id"])


def retagged(out: TagMap, back: TagMap) -> Callable[[], Handler]:
    """A server whose ETags are `out(id, real)`, and that reads them back as `back`."""

    def make() -> Handler:
        async def handle(exchange: Exchange, context: Context) -> Reply:
            if exchange.note_id is not None:
                exchange = map_request_tags(exchange, exchange.note_id, back)
            reply = await context.forward(exchange)
            note_id = note_id_of(exchange, reply)
            if note_id is None or "ETag" not in reply.headers:
                return reply
            context.hit()
            return map_reply_tag(reply, note_id, out)

        return handle

    return make


# Ids --------------------------------------------------------------------------------


class Renumbering:
    """Ids as the client sees them (outer) against the server's own (inner)."""

    def __init__(self, assign: Callable[[int, dict[int, int]], int]) -> None:
        self._assign = assign
        self.outer_of: dict[int, int] = {}
        self.inner_of: dict[int, int] = {}

    def created(self, inner_id: int) -> int:
        outer = self._assign(inner_id, self.outer_of)
        self.outer_of[inner_id] = outer
        self.inner_of[outer] = inner_id
        return outer

    def deleted(self, outer: int) -> None:
        inner_id = self.inner_of.pop(outer, None)
        if inner_id is not None:
            self.outer_of.pop(inner_id, None)


def renumbered(assign: Callable[[int, dict[int, int]], int]) -> Callable[[], Handler]:
    """A server that numbers notes by `assign(inner id, live inner->outer ids)`.

    Creates go one at a time, so that outer ids grow in the order inner ones do and
    every order by id stays the server's.
    """

    def make() -> Handler:
        ids = Renumbering(assign)
        creating = asyncio.Lock()

        def outward(reply: Reply) -> Reply:
            def edit(note: JsonObject) -> JsonObject | None:
                outer = ids.outer_of.get(note["id"])
                return None if outer is None or outer == note["id"] else {**note, "id": outer}

            reply = map_notes(reply, edit) or reply
            location = reply.headers.get("Location")
            match = ITEM_PATH.match(URL(location).path) if location else None
            if match and int(match.group(1)) in ids.outer_of:
                reply = reply.with_header("Location", f"/notes/{ids.outer_of[int(match.group(1))]}")
            return reply

        async def handle(exchange: Exchange, context: Context) -> Reply:
            if exchange.is_create:
                async with creating:
                    reply = await context.forward(exchange)
                    note = note_of(reply)
                    if note is not None:
                        outer = ids.created(int(note["id"]))
                        if outer != note["id"]:
                            context.hit()
                return outward(reply)
            outer_id = exchange.note_id
            if outer_id is not None:
                # An id never handed out names no note, whatever the server has under it.
                exchange = exchange.with_path(f"/notes/{ids.inner_of.get(outer_id, 0)}")
            reply = await context.forward(exchange)
            if outer_id is not None and exchange.method == "DELETE" and reply.status == 204:
                ids.deleted(outer_id)
            return outward(reply)

        return handle

    return make


# Links ------------------------------------------------------------------------------


def with_next(reply: Reply, page: JsonObject, next_url: str | None) -> Reply:
    """A page whose `next` and Link header both say `next_url`."""
    reply = reply.with_json({**page, "next": next_url})
    link = None if next_url is None else f'<{next_url}>; rel="next"'
    return reply.with_header("Link", link)


def next_with(page: JsonObject, **changes: str | None) -> str | None:
    """The page's `next` with query parameters set (or dropped where None)."""
    next_url = page.get("next")
    if not isinstance(next_url, str):
        return None
    return str(with_params(URL(next_url, encoded=True), **changes))


def cursor_of(url: str | None) -> str | None:
    return None if url is None else URL(url, encoded=True).query.get("cursor")


def request_url(exchange: Exchange) -> str:
    """The absolute URL the client asked for, as our server writes its own links."""
    return f"http://{exchange.headers.get('Host', 'localhost')}{exchange.raw_path}"


def limit_of(exchange: Exchange) -> int | None:
    """The page size asked for (the default when absent); None when it is no valid one."""
    raw = exchange.param("limit")
    if raw is None:
        return DEFAULT_LIMIT
    return int(raw) if re.fullmatch(r"[0-9]{1,4}", raw) and 1 <= int(raw) <= 1000 else None


async def walk(context: Context, raw_path: str) -> list[JsonObject] | None:
    """Every note of a listing, following `next` (the proxy's own reads)."""
    notes: list[JsonObject] = []
    for _ in range(1000):
        reply = await context.fetch("GET", raw_path)
        body = reply.json_object() if reply.status == 200 else None
        if body is None:
            return None
        notes.extend(body["notes"])
        if body["next"] is None:
            return notes
        raw_path = URL(body["next"], encoded=True).raw_path_qs
    return None
