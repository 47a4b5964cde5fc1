"""Controls: variations the contract allows. The kit must pass every one of them; a
failure is the kit being stricter than the contract (a false alarm)."""

from __future__ import annotations

import hashlib

from yarl import URL

from conformance.selftest.catalogue.common import cursor_of, inner, retagged, with_next
from conformance.selftest.traffic import Exchange, JsonObject, Reply, page_of
from conformance.selftest.violation import (
    Context,
    Handler,
    Violation,
    rewrite_reply,
)


def opaque_etags() -> Handler:
    """ETags of another form (a hash), read back consistently."""
    real_of: dict[str, str] = {}

    def out(note_id: int, tag: str) -> str:
        hashed = f'"{hashlib.sha256(inner(tag).encode()).hexdigest()[:20]}"'
        real_of[hashed] = tag
        return hashed

    def back(note_id: int, tag: str) -> str:
        weak = tag.startswith("W/")
        # A tag of the server's own form was never handed out: it matches nothing.
        real = real_of.get(tag.removeprefix("W/"), '"unknown"')
        return f"W/{real}" if weak else real

    return retagged(out, back)()


def problems_worded_otherwise(exchange: Exchange, reply: Reply) -> Reply | None:
    """Other type, title and detail wording, and extension members (RFC 9457 §3.2)."""
    body = reply.json_object() if reply.is_problem else None
    if body is None:
        return None
    status = body.get("status")
    reworded: JsonObject = {
        "type": f"https://errors.example/notes/{status}",
        "title": "Your request could not be handled",
        "status": status,
        "detail": f"See the errors below, or try again. ({body.get('detail')})",
        "instance": exchange.path,
        "trace_id": "4bf92f3577b34da6",
    }
    # Members a rule requires stay: `errors` (ERR-4), v1.1's `request_id` (OPS-2).
    for member in ("errors", "request_id"):
        if member in body:
            reworded[member] = body[member]
    return reply.with_json(reworded)


def allow_reordered(exchange: Exchange, reply: Reply) -> Reply | None:
    """Allow's methods in another order (a list, RFC 9110 §10.2.1: order is free)."""
    allow = reply.headers.get("Allow")
    methods = [method.strip() for method in (allow or "").split(",") if method.strip()]
    if len(methods) < 2:
        return None
    return reply.with_header("Allow", ", ".join(reversed(methods)))


def relative_next(exchange: Exchange, reply: Reply) -> Reply | None:
    """next and Link as relative references (misses LIST-14, which is recommended), and
    the document saying so: `next` is a uri-reference, not a uri."""
    if exchange.path == "/openapi.json" and reply.status == 200:
        document = reply.json_object()
        if document is None:
            return None
        page_schema = document["components"]["schemas"]["NotePage"]["properties"]["next"]
        return reply.with_json(document) if retyped(page_schema) else None
    page = page_of(reply) if exchange.is_listing else None
    if page is None or page["next"] is None:
        return None
    return with_next(reply, page, URL(page["next"], encoded=True).raw_path_qs)


def differences(one: str, other: str) -> int:
    return sum(a != b for a, b in zip(one, other, strict=True))


def retyped(schema: JsonObject) -> bool:
    """`format: uri` made `uri-reference` wherever it is in `schema` (anyOf included)."""
    changed = False
    if schema.get("format") == "uri":
        schema["format"] = "uri-reference"
        changed = True
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        changed = retyped(branch) or changed
    return changed


def tampered_cursor_read() -> Handler:
    """An issued cursor with one character changed is read as the issued one (LIST-22
    allows 200 from some position for a cursor that still reads as one)."""
    issued: set[str] = set()

    def original(cursor: str) -> str | None:
        for candidate in issued:
            if len(candidate) == len(cursor) and differences(candidate, cursor) == 1:
                return candidate
        return None

    async def handle(exchange: Exchange, context: Context) -> Reply:
        cursor = exchange.param("cursor") if exchange.is_listing else None
        if cursor is not None and cursor not in issued:
            candidate = original(cursor)
            if candidate is not None:
                context.hit()
                exchange = exchange.with_params(cursor=candidate)
        reply = await context.forward(exchange)
        page = page_of(reply) if exchange.is_listing else None
        next_cursor = cursor_of(page["next"]) if page is not None else None
        if next_cursor is not None:
            issued.add(next_cursor)
        return reply

    return handle


CONTROLS = (
    Violation(
        "C-ETAG-OPAQUE",
        (),
        "ETags are hashes instead of id-version, read back consistently",
        opaque_etags,
        control=True,
    ),
    Violation(
        "C-PROBLEM-WORDING",
        (),
        "problems with other type, title and detail, and extension members",
        rewrite_reply(problems_worded_otherwise),
        control=True,
    ),
    Violation(
        "C-ALLOW-REORDERED",
        (),
        "Allow lists its methods in reverse order",
        rewrite_reply(allow_reordered),
        control=True,
    ),
    Violation(
        "C-NEXT-RELATIVE",
        (),
        "next and Link are relative references (misses only recommended LIST-14)",
        rewrite_reply(relative_next),
        control=True,
    ),
    Violation(
        "C-TAMPERED-CURSOR-READ",
        (),
        "an issued cursor with one character changed is read as the issued one",
        tampered_cursor_read,
        control=True,
    ),
)
