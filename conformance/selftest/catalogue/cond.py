"""COND: ETags, If-Match, If-None-Match, 304 and 412."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable

from multidict import CIMultiDict

from conformance.selftest.catalogue.common import (
    current_note,
    inner,
    map_request_tags,
    retagged,
)
from conformance.selftest.traffic import Exchange, Reply, entity_tags, problem
from conformance.selftest.violation import (
    Context,
    Handler,
    Violation,
    answer_instead,
    rewrite_reply,
    rewrite_request,
)

WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD"})
STALE = '"stale"'


def header_dropped(name: str, methods: frozenset[str]) -> Callable[[Exchange], Exchange | None]:
    def edit(exchange: Exchange) -> Exchange | None:
        if exchange.method not in methods or exchange.note_id is None:
            return None
        return exchange.with_header(name, None) if name in exchange.headers else None

    return edit


def precondition_409(exchange: Exchange, reply: Reply) -> Reply | None:
    return problem(409, "The note was changed by someone else.") if reply.status == 412 else None


def weak_if_match(exchange: Exchange) -> Exchange | None:
    value = exchange.headers.get("If-Match", "")
    if "W/" not in value:
        return None
    return exchange.with_header("If-Match", value.replace("W/", ""))


def if_match_refused(when: Callable[[str], bool]) -> Callable[[Exchange], Reply | None]:
    def answer(exchange: Exchange) -> Reply | None:
        value = exchange.headers.get("If-Match")
        if value is None or exchange.note_id is None or not when(value):
            return None
        return problem(412, "The ETag does not match.")

    return answer


def weak_if_none_match_ignored(exchange: Exchange) -> Exchange | None:
    value = exchange.headers.get("If-None-Match")
    if value is None or "W/" not in value:
        return None
    strong = [tag for tag in entity_tags(value) if not tag.startswith("W/")]
    return exchange.with_header("If-None-Match", ", ".join(strong) if strong else None)


def no_etag_on_304(exchange: Exchange, reply: Reply) -> Reply | None:
    return (
        reply.with_header("ETag", None) if reply.status == 304 and "ETag" in reply.headers else None
    )


def any_if_none_match_is_304(exchange: Exchange, reply: Reply) -> Reply | None:
    """A server that only checks that If-None-Match is there."""
    if exchange.method not in READ_METHODS or "If-None-Match" not in exchange.headers:
        return None
    if reply.status != 200 or exchange.note_id is None:
        return None
    headers = CIMultiDict(
        (name, value)
        for name, value in reply.headers.items()
        if name.lower() not in {"content-type", "content-length"}
    )
    return Reply(304, headers)


def create_etag_stale(exchange: Exchange, reply: Reply) -> Reply | None:
    tag = reply.headers.get("ETag")
    if not exchange.is_create or reply.status != 201 or tag is None:
        return None
    return reply.with_header("ETag", f'"{inner(tag)}-0"')


def write_etag_from_before() -> Handler:
    """A PUT or PATCH answers with the ETag the note had before the write."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        if not exchange.is_item_write or exchange.note_id is None:
            return await context.forward(exchange)
        _, before = await current_note(context, exchange.note_id)
        reply = await context.forward(exchange)
        if reply.status != 200 or before is None or reply.headers.get("ETag") == before:
            return reply
        context.hit()
        return reply.with_header("ETag", before)

    return handle


def etag_per_read() -> Handler:
    """Each GET or HEAD makes a new ETag (a time of reading inside the tag)."""
    reads = itertools.count(1)

    async def handle(exchange: Exchange, context: Context) -> Reply:
        reply = await context.forward(exchange)
        tag = reply.headers.get("ETag")
        if exchange.method not in READ_METHODS or tag is None:
            return reply
        context.hit()
        return reply.with_header("ETag", f'"{inner(tag)}.r{next(reads)}"')

    return handle


def no_op_changes_etag() -> Handler:
    """A PUT or PATCH that changes nothing gives the note a new ETag, everywhere after."""
    epochs: Counter[int] = Counter()

    def out(note_id: int, tag: str) -> str:
        epoch = epochs[note_id]
        return tag if epoch == 0 else f'"{inner(tag)}.e{epoch}"'

    def back(note_id: int, tag: str) -> str:
        epoch = epochs[note_id]
        if epoch == 0:
            return tag
        suffix = f".e{epoch}"
        value = inner(tag)
        return f'"{value.removesuffix(suffix)}"' if value.endswith(suffix) else STALE

    async def handle(exchange: Exchange, context: Context) -> Reply:
        note_id = exchange.note_id
        if note_id is None:
            return await context.forward(exchange)
        before = None
        if exchange.is_item_write:
            _, before = await current_note(context, note_id)
        reply = await context.forward(map_request_tags(exchange, note_id, back))
        if before is not None and reply.status == 200 and reply.headers.get("ETag") == before:
            context.hit()
            epochs[note_id] += 1
        tag = reply.headers.get("ETag")
        return reply if tag is None else reply.with_header("ETag", out(note_id, tag))

    return handle


def etag_ignores_changes() -> Handler:
    """The ETag is made of the id alone: a change does not change it."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        note_id = exchange.note_id
        if note_id is not None and any(
            h in exchange.headers for h in ("If-Match", "If-None-Match")
        ):
            _, real = await current_note(context, note_id)
            if real is not None:
                own = f'"n{note_id}"'
                exchange = map_request_tags(
                    exchange, note_id, lambda _id, tag: real if tag == own else tag
                )
        reply = await context.forward(exchange)
        created = reply.json_object() if exchange.is_create and reply.status == 201 else None
        subject = note_id if note_id is not None else (created or {}).get("id")
        if subject is None or "ETag" not in reply.headers:
            return reply
        context.hit()
        return reply.with_header("ETag", f'"n{subject}"')

    return handle


def etag_of_the_table() -> Handler:
    """The ETag carries the table's version: any write to any note changes every tag."""
    version = 0

    def out(note_id: int, tag: str) -> str:
        return f'"{inner(tag)}.v{version}"'

    def back(note_id: int, tag: str) -> str:
        suffix = f".v{version}"
        value = inner(tag)
        return f'"{value.removesuffix(suffix)}"' if value.endswith(suffix) else STALE

    async def handle(exchange: Exchange, context: Context) -> Reply:
        nonlocal version
        note_id = exchange.note_id
        if note_id is not None:
            exchange = map_request_tags(exchange, note_id, back)
        reply = await context.forward(exchange)
        if reply.ok and (exchange.is_create or exchange.method in WRITE_METHODS):
            version += 1
        created = reply.json_object() if exchange.is_create and reply.status == 201 else None
        subject = note_id if note_id is not None else (created or {}).get("id")
        tag = reply.headers.get("ETag")
        if subject is None or tag is None:
            return reply
        context.hit()
        return reply.with_header("ETag", out(subject, tag))

    return handle


def lost_update() -> Handler:
    """If-Match checked, then the write done, without a lock: writers holding the same
    tag at the same time all get through."""
    running: Counter[tuple[int, str]] = Counter()

    async def handle(exchange: Exchange, context: Context) -> Reply:
        tag = exchange.headers.get("If-Match")
        if tag is None or exchange.note_id is None or exchange.method not in WRITE_METHODS:
            return await context.forward(exchange)
        key = (exchange.note_id, tag)
        overlapped = running[key] > 0
        running[key] += 1
        try:
            if overlapped:
                context.hit()
                return await context.forward(exchange.with_header("If-Match", None))
            return await context.forward(exchange)
        finally:
            running[key] -= 1

    return handle


def failed_delete_still_deletes() -> Handler:
    """A DELETE whose If-Match fails answers 412, after deleting all the same."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        reply = await context.forward(exchange)
        if exchange.method == "DELETE" and reply.status == 412 and exchange.note_id is not None:
            deleted = await context.fetch("DELETE", f"/notes/{exchange.note_id}")
            if deleted.status == 204:
                context.hit()
        return reply

    return handle


def weak_tags_out(note_id: int, tag: str) -> str:
    return tag if tag.startswith("W/") else f"W/{tag}"


def weak_tags_back(note_id: int, tag: str) -> str:
    while tag.startswith("W/"):
        tag = tag[2:]
    return tag


VIOLATIONS = (
    Violation(
        "V-COND-IF-MATCH-IGNORED",
        ("COND-8",),
        "If-Match is ignored: a stale tag does not stop the write",
        rewrite_request(header_dropped("If-Match", WRITE_METHODS)),
        fast=True,
    ),
    Violation(
        "V-COND-412-AS-409",
        ("COND-8",),
        "a failed If-Match is 409 Conflict instead of 412",
        rewrite_reply(precondition_409),
    ),
    Violation(
        "V-COND-WEAK-IF-MATCH",
        ("COND-8",),
        "If-Match compares weakly: W/ plus the current tag lets the write through",
        rewrite_request(weak_if_match),
    ),
    Violation(
        "V-COND-IF-MATCH-LIST-412",
        ("COND-7",),
        "If-Match with a list of tags is 412 even when the current one is in it",
        answer_instead(if_match_refused(lambda value: "," in value)),
    ),
    Violation(
        "V-COND-IF-MATCH-STAR-412",
        ("COND-7",),
        "If-Match: * is 412 on an existing note",
        answer_instead(if_match_refused(lambda value: value.strip() == "*")),
    ),
    Violation(
        "V-COND-IF-NONE-MATCH-IGNORED",
        ("COND-5",),
        "If-None-Match is ignored: never a 304",
        rewrite_request(header_dropped("If-None-Match", READ_METHODS)),
    ),
    Violation(
        "V-COND-HEAD-IGNORES-IF-NONE-MATCH",
        ("COND-5", "CRUD-6"),
        "HEAD ignores If-None-Match (GET honours it)",
        rewrite_request(header_dropped("If-None-Match", frozenset({"HEAD"}))),
    ),
    Violation(
        "V-COND-304-NO-ETAG",
        ("COND-5",),
        "a 304 has no ETag header",
        rewrite_reply(no_etag_on_304),
    ),
    Violation(
        "V-COND-IF-NONE-MATCH-STRONG",
        ("COND-5",),
        "If-None-Match compares strongly: W/ plus the current tag is a 200",
        rewrite_request(weak_if_none_match_ignored),
    ),
    Violation(
        "V-COND-ANY-IF-NONE-MATCH-304",
        ("COND-6",),
        "any If-None-Match, matching or not, is a 304",
        rewrite_reply(any_if_none_match_is_304),
    ),
    Violation(
        "V-COND-WEAK-ETAGS",
        ("COND-2",),
        "ETags are weak (W/...), and If-Match accepts them",
        retagged(weak_tags_out, weak_tags_back),
    ),
    Violation(
        "V-COND-CREATE-ETAG-STALE",
        ("COND-1", "CRUD-1"),
        "the 201's ETag is not the one a GET then shows",
        rewrite_reply(create_etag_stale),
    ),
    Violation(
        "V-COND-WRITE-ETAG-STALE",
        ("COND-1",),
        "a PUT or PATCH answers with the ETag from before the change",
        write_etag_from_before,
    ),
    Violation(
        "V-COND-ETAG-PER-READ",
        ("CRUD-5", "COND-3"),
        "every GET or HEAD gives a new ETag",
        etag_per_read,
    ),
    Violation(
        "V-COND-NO-OP-CHANGES-ETAG",
        ("CRUD-15", "COND-3"),
        "a PUT or PATCH that changes nothing gives the note a new ETag",
        no_op_changes_etag,
        fast=True,
    ),
    Violation(
        "V-COND-ETAG-IGNORES-CHANGES",
        ("COND-3", "CRUD-14"),
        "the ETag is made of the id alone: a change keeps it",
        etag_ignores_changes,
    ),
    Violation(
        "V-COND-ETAG-OF-THE-TABLE",
        ("COND-3",),
        "the ETag carries the table's version: writing one note changes every tag",
        etag_of_the_table,
    ),
    Violation(
        "V-COND-LOST-UPDATE",
        ("COND-9",),
        "If-Match checked without a lock: concurrent writers with one tag all win",
        lost_update,
    ),
    Violation(
        "V-COND-412-STILL-DELETES",
        ("COND-8", "ERR-8"),
        "a DELETE whose If-Match fails answers 412 but deletes the note",
        failed_delete_still_deletes,
    ),
)
