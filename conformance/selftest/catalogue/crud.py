"""CRUD: create, read, replace, patch and delete (and RES-4, ids never reused)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from multidict import CIMultiDict

from conformance.selftest.catalogue.common import (
    Overrides,
    current_note,
    note_of,
    renumbered,
)
from conformance.selftest.traffic import (
    Exchange,
    JsonObject,
    Reply,
    dumps,
    map_notes,
    now_rfc3339,
    page_of,
    problem,
)
from conformance.selftest.violation import (
    Context,
    Handler,
    Violation,
    answer_instead,
    rewrite_reply,
    rewrite_request,
)

ITEM_METHODS = "GET, PUT, PATCH, DELETE"
# Of the creates that overlap others, every tenth is lost.
LOST_EVERY = 10
OVERLAP = 4


def create_status_200(exchange: Exchange, reply: Reply) -> Reply | None:
    return reply.with_status(200) if exchange.is_create and reply.status == 201 else None


def location(value: str | None) -> Callable[[Exchange, Reply], Reply | None]:
    def edit(exchange: Exchange, reply: Reply) -> Reply | None:
        if not exchange.is_create or reply.status != 201:
            return None
        return reply.with_header("Location", value)

    return edit


def put_resets_created_at(exchange: Exchange) -> Exchange | None:
    body = exchange.json_object() if exchange.method == "PUT" and exchange.note_id else None
    if body is None or "created_at" in body:
        return None
    return exchange.with_json({**body, "created_at": now_rfc3339()})


def put_merges() -> Handler:
    """PUT keeps the description and priority it is not given (a PATCH in disguise)."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        body = exchange.json_object() if exchange.method == "PUT" else None
        if body is None or exchange.note_id is None:
            return await context.forward(exchange)
        current, _ = await current_note(context, exchange.note_id)
        kept = {
            key: current[key]
            for key, default in (("description", ""), ("priority", 0))
            if current is not None and key not in body and current[key] != default
        }
        if not kept:
            return await context.forward(exchange)
        context.hit()
        return await context.forward(exchange.with_json({**body, **kept}))

    return handle


def put_upserts() -> Handler:
    """PUT of an id that names no note creates one."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        reply = await context.forward(exchange)
        body = exchange.json_object() if exchange.method == "PUT" else None
        if reply.status != 404 or body is None or exchange.note_id is None:
            return reply
        created = await context.fetch("POST", "/notes", dumps(body))
        if created.status != 201:
            return reply
        context.hit()
        return created

    return handle


def patch_replaces() -> Handler:
    """PATCH replaces the note: what it does not give takes its default."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        body = exchange.json_object() if exchange.method == "PATCH" else None
        if body is None or exchange.note_id is None:
            return await context.forward(exchange)
        current, _ = await current_note(context, exchange.note_id)
        if current is None:
            return await context.forward(exchange)
        given = {
            key: value
            for key, value in body.items()
            if value is not None or key not in {"description", "priority"}
        }
        replacement = {"title": current["title"], "created_by": current["created_by"], **given}
        context.hit()
        put = exchange.with_method("PUT").with_json(replacement)
        return await context.forward(put.with_header("Content-Type", "application/json"))

    return handle


def merge_patch_refused(exchange: Exchange) -> Reply | None:
    if exchange.method == "PATCH" and exchange.media_type == "application/merge-patch+json":
        return problem(415, "Use application/json.")
    return None


def nulls_dropped(fields: frozenset[str]) -> Callable[[Exchange], Exchange | None]:
    def edit(exchange: Exchange) -> Exchange | None:
        body = exchange.json_object() if exchange.method == "PATCH" else None
        if body is None or not any(body.get(key, 0) is None for key in fields):
            return None
        return exchange.with_json(
            {key: value for key, value in body.items() if value is not None or key not in fields}
        )

    return edit


def delete_answers_the_note() -> Handler:
    async def handle(exchange: Exchange, context: Context) -> Reply:
        if exchange.method != "DELETE" or exchange.note_id is None:
            return await context.forward(exchange)
        current, _ = await current_note(context, exchange.note_id)
        reply = await context.forward(exchange)
        if reply.status != 204 or current is None:
            return reply
        context.hit()
        headers = CIMultiDict(reply.headers)
        headers["Content-Type"] = "application/json"
        return Reply(200, headers, dumps(current))

    return handle


def soft_delete_listed() -> Handler:
    """A deleted note is flagged, and the listing forgets to leave flagged notes out."""
    deleted: dict[int, JsonObject] = {}

    def matches(note: JsonObject, exchange: Exchange) -> bool:
        query = exchange.query
        if "created_by" in query and note["created_by"] != query["created_by"]:
            return False
        if "priority" in query and str(note["priority"]) != query["priority"]:
            return False
        text = query.get("q", "").casefold()
        return text in note["title"].casefold() or text in note["description"].casefold()

    async def handle(exchange: Exchange, context: Context) -> Reply:
        if exchange.method == "DELETE" and exchange.note_id is not None:
            current, _ = await current_note(context, exchange.note_id)
            reply = await context.forward(exchange)
            if reply.status == 204 and current is not None:
                deleted[current["id"]] = current
            return reply
        reply = await context.forward(exchange)
        page = page_of(reply) if exchange.is_listing else None
        if page is None or exchange.param("sort") not in {None, "id"}:
            return reply
        notes: list[JsonObject] = page["notes"]
        ids = [note["id"] for note in notes]
        last_page = page["next"] is None
        extra = [
            note
            for note_id, note in deleted.items()
            if matches(note, exchange)
            and (
                (ids and ids[0] < note_id < ids[-1])
                or (last_page and (not ids or note_id > ids[-1]))
                or (exchange.param("cursor") is None and ids and note_id < ids[0])
            )
        ]
        if not extra:
            return reply
        context.hit()
        merged = sorted(notes + extra, key=lambda note: note["id"])
        return reply.with_json({**page, "notes": merged})

    return handle


def gone_after_delete() -> Handler:
    """A deleted note's id answers 410 Gone."""
    deleted: set[int] = set()

    async def handle(exchange: Exchange, context: Context) -> Reply:
        note_id = exchange.note_id
        if note_id in deleted:
            context.hit()
            return problem(410, f"Note {note_id} was deleted.")
        reply = await context.forward(exchange)
        if exchange.method == "DELETE" and note_id is not None and reply.status == 204:
            deleted.add(note_id)
        return reply

    return handle


def head_refused(exchange: Exchange) -> Reply | None:
    if exchange.method == "HEAD" and exchange.path.startswith("/notes/"):
        return problem(405, "HEAD is not allowed.", headers={"Allow": ITEM_METHODS})
    return None


def head_without_etag(exchange: Exchange, reply: Reply) -> Reply | None:
    if exchange.method != "HEAD" or "ETag" not in reply.headers:
        return None
    return reply.with_header("ETag", None)


def reuse_ids(inner: int, live: dict[int, int]) -> int:
    """SQLite's rowid without AUTOINCREMENT: one more than the largest id alive."""
    return max(live.values(), default=0) + 1


def loses_overlapping_creates() -> Handler:
    """Under concurrent creates, some answered 201 are lost (a write not committed)."""
    in_flight = 0
    overlapping = 0

    async def handle(exchange: Exchange, context: Context) -> Reply:
        nonlocal in_flight, overlapping
        if not exchange.is_create:
            return await context.forward(exchange)
        crowded = in_flight >= OVERLAP
        in_flight += 1
        try:
            reply = await context.forward(exchange)
        finally:
            in_flight -= 1
        note = note_of(reply)
        if crowded and note is not None:
            overlapping += 1
            if overlapping % LOST_EVERY == 0:
                await context.fetch("DELETE", f"/notes/{note['id']}")
                context.hit()
        return reply

    return handle


def touches_updated_at_on_no_op() -> Handler:
    """A PUT or PATCH that changes nothing still sets updated_at (the ETag stays)."""
    shown = Overrides()

    async def handle(exchange: Exchange, context: Context) -> Reply:
        if not exchange.is_item_write or exchange.note_id is None:
            return shown.apply(await context.forward(exchange))
        _, before = await current_note(context, exchange.note_id)
        reply = await context.forward(exchange)
        if reply.status == 200 and before is not None:
            if reply.headers.get("ETag") == before:
                context.hit()
                shown.set(exchange.note_id, "updated_at", now_rfc3339())
            else:
                shown.forget(exchange.note_id)
        return shown.apply(reply)

    return handle


def updated_at_frozen() -> Handler:
    """updated_at stays the time of creation whatever changes."""
    created: dict[int, str] = {}

    async def handle(exchange: Exchange, context: Context) -> Reply:
        reply = await context.forward(exchange)
        note = note_of(reply) if exchange.is_create else None
        if note is not None:
            created[note["id"]] = note["updated_at"]

        def edit(note: JsonObject) -> JsonObject | None:
            first = created.get(note["id"])
            if first is None or first == note["updated_at"]:
                return None
            context.hit()
            return {**note, "updated_at": first}

        return map_notes(reply, edit) or reply

    return handle


def racing_deletes_both_succeed() -> Handler:
    """A DELETE that started while another DELETE of the note was running answers 204
    too (check-then-delete without a lock)."""
    running: Counter[int] = Counter()

    async def handle(exchange: Exchange, context: Context) -> Reply:
        note_id = exchange.note_id
        if exchange.method != "DELETE" or note_id is None:
            return await context.forward(exchange)
        overlapped = running[note_id] > 0
        running[note_id] += 1
        try:
            reply = await context.forward(exchange)
        finally:
            running[note_id] -= 1
        if overlapped and reply.status == 404:
            context.hit()
            return Reply(204, CIMultiDict({"Date": reply.headers.get("Date", "")}))
        return reply

    return handle


VIOLATIONS = (
    Violation(
        "V-CRUD-CREATE-200",
        ("CRUD-1",),
        "POST /notes answers 200 instead of 201",
        rewrite_reply(create_status_200),
    ),
    Violation(
        "V-CRUD-NO-LOCATION",
        ("CRUD-1",),
        "the 201 of POST /notes has no Location header",
        rewrite_reply(location(None)),
        fast=True,
    ),
    Violation(
        "V-CRUD-LOCATION-COLLECTION",
        ("CRUD-1",),
        "the 201's Location is /notes, the collection, not the new note",
        rewrite_reply(location("/notes")),
    ),
    Violation(
        "V-CRUD-PUT-MERGES",
        ("CRUD-7",),
        "PUT keeps the description and priority it leaves out",
        put_merges,
    ),
    Violation(
        "V-CRUD-PUT-RESETS-CREATED-AT",
        ("CRUD-8",),
        "a PUT without created_at sets it to now instead of keeping it",
        rewrite_request(put_resets_created_at),
    ),
    Violation(
        "V-CRUD-PUT-UPSERT",
        ("CRUD-9",),
        "PUT of an id that names no note creates a note (201)",
        put_upserts,
    ),
    Violation(
        "V-CRUD-PATCH-REPLACES",
        ("CRUD-10",),
        "PATCH replaces the note: fields it leaves out take their defaults",
        patch_replaces,
    ),
    Violation(
        "V-CRUD-MERGE-PATCH-415",
        ("CRUD-10", "REQ-1"),
        "PATCH refuses application/merge-patch+json with 415",
        answer_instead(merge_patch_refused),
    ),
    Violation(
        "V-CRUD-PATCH-NULL-IGNORED",
        ("CRUD-11",),
        "null for description or priority in a PATCH is ignored, not a reset",
        rewrite_request(nulls_dropped(frozenset({"description", "priority"}))),
    ),
    Violation(
        "V-CRUD-PATCH-NULL-REQUIRED-IGNORED",
        ("CRUD-12",),
        "null for title, created_by or created_at in a PATCH is ignored, not a 422",
        rewrite_request(nulls_dropped(frozenset({"title", "created_by", "created_at"}))),
    ),
    Violation(
        "V-CRUD-DELETE-200-WITH-BODY",
        ("CRUD-13",),
        "DELETE answers 200 with the deleted note instead of 204 with no body",
        delete_answers_the_note,
    ),
    Violation(
        "V-CRUD-SOFT-DELETE-LISTED",
        ("CRUD-13",),
        "deleted notes are still listed (a soft delete the listing does not filter)",
        soft_delete_listed,
    ),
    Violation(
        "V-CRUD-DELETED-410",
        ("CRUD-13", "REQ-9"),
        "a deleted note's id answers 410 Gone instead of 404",
        gone_after_delete,
    ),
    Violation(
        "V-CRUD-HEAD-405",
        ("CRUD-6",),
        "HEAD /notes/{id} is 405",
        answer_instead(head_refused),
    ),
    Violation(
        "V-CRUD-HEAD-NO-ETAG",
        ("CRUD-6", "COND-1"),
        "HEAD /notes/{id} answers without the ETag",
        rewrite_reply(head_without_etag),
    ),
    Violation(
        "V-CRUD-ID-REUSED",
        ("RES-4",),
        "a new note takes the id of the newest note if it was deleted (rowid reuse)",
        renumbered(reuse_ids),
    ),
    Violation(
        "V-CRUD-LOST-CREATES",
        ("CRUD-3",),
        "under concurrent creates, one in ten answered 201 is lost",
        loses_overlapping_creates,
    ),
    Violation(
        "V-CRUD-NO-OP-TOUCHES-UPDATED-AT",
        ("CRUD-15", "RES-9"),
        "a PUT or PATCH that changes nothing still moves updated_at",
        touches_updated_at_on_no_op,
    ),
    Violation(
        "V-CRUD-UPDATED-AT-FROZEN",
        ("CRUD-14", "RES-9"),
        "updated_at never moves after creation",
        updated_at_frozen,
    ),
    Violation(
        "V-CRUD-RACING-DELETES",
        ("CRUD-16",),
        "two DELETEs of one note at the same time both answer 204",
        racing_deletes_both_succeed,
    ),
)
