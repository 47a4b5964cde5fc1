"""LIST: the listing's filters, order, keyset pagination, cursors and Link header."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from multidict import CIMultiDict
from yarl import URL

from conformance.selftest.catalogue.common import (
    INT32_MAX,
    INT32_MIN,
    LISTING_PARAMETERS,
    VALID_SORTS,
    cursor_of,
    limit_of,
    next_with,
    request_url,
    walk,
    with_next,
)
from conformance.selftest.traffic import (
    Exchange,
    JsonObject,
    Reply,
    dumps,
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

END = "~end"
OFFSET = re.compile(r"^~o([0-9]+)$")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def sort_key(sort: str) -> Callable[[JsonObject], Any]:
    field = sort.lstrip("-")
    if field in {"created_at", "updated_at"}:
        return lambda note: datetime.fromisoformat(note[field])
    return lambda note: note[field]


def listing_page(exchange: Exchange, reply: Reply) -> JsonObject | None:
    return page_of(reply) if exchange.is_listing else None


def empty_page(exchange: Exchange) -> Reply:
    headers = CIMultiDict({"Content-Type": "application/json; charset=utf-8"})
    return Reply(200, headers, dumps({"notes": [], "next": None}))


def param_edit(
    edit: Callable[[Exchange], Exchange | None],
) -> Callable[[Exchange], Exchange | None]:
    """`edit` applied to listing requests only."""
    return lambda exchange: edit(exchange) if exchange.is_listing else None


# Links ------------------------------------------------------------------------------


def no_link(exchange: Exchange, reply: Reply) -> Reply | None:
    if listing_page(exchange, reply) is None or "Link" not in reply.headers:
        return None
    return reply.with_header("Link", None)


def link_on_last_page(exchange: Exchange, reply: Reply) -> Reply | None:
    page = listing_page(exchange, reply)
    if page is None or page["next"] is not None:
        return None
    return reply.with_header("Link", f'<{request_url(exchange)}>; rel="next"')


def next_drops(*names: str) -> Callable[[Exchange, Reply], Reply | None]:
    def edit(exchange: Exchange, reply: Reply) -> Reply | None:
        page = listing_page(exchange, reply)
        if page is None or page["next"] is None:
            return None
        if not any(name in URL(page["next"], encoded=True).query for name in names):
            return None
        return with_next(reply, page, next_with(page, **dict.fromkeys(names)))

    return edit


def next_missing_when_last(exchange: Exchange, reply: Reply) -> Reply | None:
    page = listing_page(exchange, reply)
    if page is None or page["next"] is not None:
        return None
    return reply.with_json({"notes": page["notes"]})


# Order ------------------------------------------------------------------------------


def reordered(
    exchange: Exchange, reply: Reply, order: Callable[[list[JsonObject], str], list[JsonObject]]
) -> Reply | None:
    page = listing_page(exchange, reply)
    sort = exchange.param("sort")
    if page is None or sort is None:
        return None
    notes = order(page["notes"], sort)
    if [note["id"] for note in notes] == [note["id"] for note in page["notes"]]:
        return None
    return reply.with_json({**page, "notes": notes})


def by_collation(notes: list[JsonObject], sort: str) -> list[JsonObject]:
    if sort not in {"title", "-title"}:
        return notes
    by_id = sorted(notes, key=lambda note: note["id"])
    return sorted(by_id, key=lambda note: note["title"].casefold(), reverse=sort == "-title")


def ties_descending(notes: list[JsonObject], sort: str) -> list[JsonObject]:
    if not sort.startswith("-") or sort == "-id":
        return notes
    key = sort_key(sort)
    return sorted(notes, key=lambda note: (key(note), note["id"]), reverse=True)


# Pages ------------------------------------------------------------------------------


def pages_overlap() -> Handler:
    """Keyset with >= instead of >: each page starts again at the last note of the one
    before it (and a page of one never moves on)."""
    last_before: dict[str, JsonObject] = {}

    async def handle(exchange: Exchange, context: Context) -> Reply:
        cursor = exchange.param("cursor") if exchange.is_listing else None
        limit = limit_of(exchange)
        repeated = last_before.get(cursor) if cursor is not None else None
        if repeated is None or limit is None:
            return remember(exchange, await context.forward(exchange))
        context.hit()
        if limit == 1:
            again: JsonObject = {"notes": [repeated]}
            return with_next(empty_page(exchange), again, request_url(exchange))
        reply = await context.forward(exchange.with_params(limit=str(limit - 1)))
        rest = page_of(reply)
        if rest is None:
            return reply
        page: JsonObject = {"notes": [repeated, *rest["notes"]], "next": rest["next"]}
        fixed = with_next(reply, page, next_with(page, limit=exchange.param("limit")))
        return remember(exchange, fixed)

    def remember(exchange: Exchange, reply: Reply) -> Reply:
        page = listing_page(exchange, reply)
        cursor = cursor_of(page["next"]) if page is not None else None
        if page is not None and cursor is not None and page["notes"]:
            last_before[cursor] = page["notes"][-1]
        return reply

    return handle


def pages_skip_one() -> Handler:
    """Keyset one step too far: the first note after the cursor is never shown."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        limit = limit_of(exchange)
        if not exchange.is_listing or exchange.param("cursor") is None or limit is None:
            return await context.forward(exchange)
        asked = exchange.with_params(limit=str(limit + 1)) if limit < 1000 else exchange
        reply = await context.forward(asked)
        page = page_of(reply)
        if page is None or not page["notes"]:
            return reply
        context.hit()
        page = {"notes": page["notes"][1:], "next": page["next"]}
        return with_next(reply, page, next_with(page, limit=exchange.param("limit")))

    return handle


def next_after_full_last_page() -> Handler:
    """`next` is set whenever a page is full, so a full last page leads to an empty one."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        if exchange.is_listing and exchange.param("cursor") == END:
            context.hit()
            return empty_page(exchange)
        reply = await context.forward(exchange)
        page = listing_page(exchange, reply)
        limit = limit_of(exchange)
        if page is None or page["next"] is not None or not page["notes"]:
            return reply
        if len(page["notes"]) != limit:
            return reply
        context.hit()
        return with_next(reply, page, str(URL(request_url(exchange)).update_query(cursor=END)))

    return handle


def offset_pagination() -> Handler:
    """Pages by offset, not by key: a delete before the position skips a note."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        cursor = exchange.param("cursor")
        limit = limit_of(exchange)
        offset_match = OFFSET.match(cursor) if cursor is not None else None
        own = cursor is None or offset_match is not None
        if not exchange.is_listing or exchange.param("created_by") is None or not own or not limit:
            return await context.forward(exchange)
        everything = await walk(context, exchange.with_params(limit="1000", cursor=None).raw_path)
        if everything is None:
            return await context.forward(exchange)
        context.hit()
        offset = int(offset_match.group(1)) if offset_match else 0
        notes = everything[offset : offset + limit]
        more = offset + limit < len(everything)
        url = URL(request_url(exchange)).update_query(cursor=f"~o{offset + limit}")
        return with_next(empty_page(exchange), {"notes": notes}, str(url) if more else None)

    return handle


def limit_1001() -> Handler:
    async def handle(exchange: Exchange, context: Context) -> Reply:
        if not exchange.is_listing or exchange.param("limit") != "1001":
            return await context.forward(exchange)
        context.hit()
        reply = await context.forward(exchange.with_params(limit="1000"))
        page = page_of(reply)
        return reply if page is None else with_next(reply, page, next_with(page, limit="1001"))

    return handle


def default_limit_50() -> Handler:
    async def handle(exchange: Exchange, context: Context) -> Reply:
        if not exchange.is_listing or exchange.param("limit") is not None:
            return await context.forward(exchange)
        reply = await context.forward(exchange.with_params(limit="50"))
        page = page_of(reply)
        if page is None:
            return reply
        if len(page["notes"]) == 50:
            context.hit()
        return with_next(reply, page, next_with(page, limit=None))

    return handle


def sort_read_as(edit: Callable[[str], str | None]) -> Handler:
    """The sort asked for read as `edit(sort)` (or as asked when None); `next` keeps
    saying the sort asked for."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        sort = exchange.param("sort") if exchange.is_listing else None
        read_as = edit(sort) if sort is not None else None
        if sort is None or read_as is None or read_as == sort:
            return await context.forward(exchange)
        context.hit()
        reply = await context.forward(exchange.with_params(sort=read_as or None))
        page = page_of(reply)
        return reply if page is None else with_next(reply, page, next_with(page, sort=sort))

    return handle


def unknown_sort_ignored(sort: str) -> str | None:
    return "" if sort not in VALID_SORTS else None


def sort_case_insensitive(sort: str) -> str | None:
    return sort.lower() if sort.lower() in VALID_SORTS else None


def updated_at_as_created_at(sort: str) -> str | None:
    return sort.replace("updated_at", "created_at") if "updated_at" in sort else None


# Filters ----------------------------------------------------------------------------


def filtered(keep: Callable[[JsonObject, str], bool]) -> Callable[[Exchange, Reply], Reply | None]:
    """Pages of a `q` search keep only the notes for which `keep(note, q)`."""

    def edit(exchange: Exchange, reply: Reply) -> Reply | None:
        page = listing_page(exchange, reply)
        text = exchange.param("q")
        if page is None or not text:
            return None
        kept = [note for note in page["notes"] if keep(note, text)]
        return None if len(kept) == len(page["notes"]) else reply.with_json({**page, "notes": kept})

    return edit


def case_sensitive(note: JsonObject, text: str) -> bool:
    return text in note["title"] or text in note["description"]


def ascii_folding(note: JsonObject, text: str) -> bool:
    folded = text.translate(ASCII_LOWER)
    return any(folded in note[key].translate(ASCII_LOWER) for key in ("title", "description"))


def merged_listing(
    more: Callable[[Exchange], list[Exchange]], keep: Callable[[Exchange, JsonObject], bool]
) -> Callable[[], Handler]:
    """A first page that also shows the notes of the listings `more(exchange)` for which
    `keep` holds: a filter that matches too much. Only where the whole result fits on
    one page (the kit's own small listings), so that pages stay consistent."""

    def make() -> Handler:
        async def handle(exchange: Exchange, context: Context) -> Reply:
            reply = await context.forward(exchange)
            page = listing_page(exchange, reply)
            limit = limit_of(exchange)
            if page is None or page["next"] is not None or exchange.param("cursor") or not limit:
                return reply
            extra: dict[int, JsonObject] = {}
            for other in more(exchange):
                notes = await walk(context, other.raw_path)
                for note in notes or []:
                    if keep(exchange, note):
                        extra[note["id"]] = note
            shown = {note["id"] for note in page["notes"]}
            added = [note for note_id, note in extra.items() if note_id not in shown]
            if not added or len(shown) + len(added) > limit:
                return reply
            context.hit()
            notes = page["notes"] + added
            sort = exchange.param("sort") or "id"
            by_id = sorted(notes, key=lambda note: note["id"])
            ordered = sorted(by_id, key=sort_key(sort), reverse=sort.startswith("-"))
            return reply.with_json({**page, "notes": ordered})

        return handle

    return make


def other_cases(exchange: Exchange) -> list[Exchange]:
    owner = exchange.param("created_by")
    if not owner:
        return []
    variants = {owner.lower(), owner.upper(), owner.swapcase()} - {owner}
    return [exchange.with_params(created_by=variant, limit="1000") for variant in variants]


def without_q(exchange: Exchange) -> list[Exchange]:
    text = exchange.param("q")
    if not text or not any(char in text for char in "%_") or not exchange.param("created_by"):
        return []
    return [exchange.with_params(q=None, limit="1000")]


def like(exchange: Exchange, note: JsonObject) -> bool:
    """`q` read as an ILIKE pattern, % and _ as wildcards."""
    text = exchange.param("q") or ""
    pattern = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in text
    )
    return any(
        re.search(pattern, note[key], re.IGNORECASE | re.DOTALL) for key in ("title", "description")
    )


def unknown_parameter_refused(exchange: Exchange) -> Reply | None:
    if not exchange.is_listing:
        return None
    unknown = [name for name in exchange.query if name not in LISTING_PARAMETERS]
    if not unknown:
        return None
    errors = [{"field": name, "message": "unknown query parameter"} for name in unknown]
    return problem(422, "Unknown query parameters.", errors=errors)


def priority_overflow_500(exchange: Exchange) -> Reply | None:
    raw = exchange.param("priority") if exchange.is_listing else None
    if raw is None or not re.fullmatch(r"-?[0-9]+", raw):
        return None
    if INT32_MIN <= int(raw) <= INT32_MAX:
        return None
    return problem(500, "Internal server error.")


def forged_cursor_as_first_page() -> Handler:
    """A cursor the server cannot read is ignored: the first page comes back."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        reply = await context.forward(exchange)
        if not exchange.is_listing or reply.status != 422 or exchange.param("cursor") is None:
            return reply
        body = reply.json_object() or {}
        if not any("cursor" in str(error.get("field")) for error in body.get("errors", [])):
            return reply
        again = await context.forward(exchange.with_params(cursor=None))
        if again.status != 200:
            return reply
        context.hit()
        return again

    return handle


def stale_listing() -> Handler:
    """The listing is served from a cache that keeps each note as first listed."""
    cache: dict[int, JsonObject] = {}

    async def handle(exchange: Exchange, context: Context) -> Reply:
        reply = await context.forward(exchange)
        page = listing_page(exchange, reply)
        if page is None:
            if exchange.method == "DELETE" and exchange.note_id is not None:
                cache.pop(exchange.note_id, None)
            return reply
        notes = [cache.setdefault(note["id"], note) for note in page["notes"]]
        if notes == page["notes"]:
            return reply
        context.hit()
        return reply.with_json({**page, "notes": notes})

    return handle


VIOLATIONS = (
    Violation(
        "V-LIST-NO-LINK",
        ("LIST-17",),
        "pages with a next page have no Link header",
        rewrite_reply(no_link),
    ),
    Violation(
        "V-LIST-LINK-ON-LAST-PAGE",
        ("LIST-17",),
        'the last page still has a Link rel="next" (to itself)',
        rewrite_reply(link_on_last_page),
    ),
    Violation(
        "V-LIST-NEXT-DROPS-FILTERS",
        ("LIST-13",),
        "next (and Link) forget created_by, priority and q",
        rewrite_reply(next_drops("created_by", "priority", "q")),
    ),
    Violation(
        "V-LIST-NEXT-DROPS-LIMIT",
        ("LIST-13",),
        "next (and Link) forget limit: later pages have the default size",
        rewrite_reply(next_drops("limit")),
    ),
    Violation(
        "V-LIST-NEXT-MISSING",
        ("LIST-1", "LIST-12"),
        "the last page has no next member instead of next: null",
        rewrite_reply(next_missing_when_last),
    ),
    Violation(
        "V-LIST-TITLE-COLLATION",
        ("LIST-10",),
        "titles sort case-insensitively (a collation), not by code point",
        rewrite_reply(lambda exchange, reply: reordered(exchange, reply, by_collation)),
    ),
    Violation(
        "V-LIST-TIES-DESCENDING",
        ("LIST-10",),
        "in descending sorts, ties are broken by id descending",
        rewrite_reply(lambda exchange, reply: reordered(exchange, reply, ties_descending)),
    ),
    Violation(
        "V-LIST-PAGES-OVERLAP",
        ("LIST-11", "LIST-15"),
        "each page repeats the last note of the page before (>= in the keyset)",
        pages_overlap,
        fast=True,
    ),
    Violation(
        "V-LIST-PAGES-SKIP",
        ("LIST-11", "LIST-15"),
        "the first note after the cursor is skipped",
        pages_skip_one,
    ),
    Violation(
        "V-LIST-NEXT-AFTER-FULL-LAST-PAGE",
        ("LIST-12",),
        "a full last page has a next that leads to an empty page",
        next_after_full_last_page,
    ),
    Violation(
        "V-LIST-OFFSET-PAGINATION",
        ("LIST-16",),
        "pages by offset: deletes during a walk skip notes",
        offset_pagination,
    ),
    Violation(
        "V-LIST-LIMIT-1001",
        ("LIST-3", "LIST-20"),
        "limit=1001 is taken (as 1000) instead of refused",
        limit_1001,
    ),
    Violation(
        "V-LIST-DEFAULT-LIMIT-50",
        ("LIST-3",),
        "the default page size is 50, not 100",
        default_limit_50,
    ),
    Violation(
        "V-LIST-UNKNOWN-SORT-IGNORED",
        ("LIST-20",),
        "an unknown sort value falls back to id instead of 422",
        lambda: sort_read_as(unknown_sort_ignored),
    ),
    Violation(
        "V-LIST-SORT-CASE-INSENSITIVE",
        ("LIST-5", "LIST-20"),
        "sort=ID is read as id",
        lambda: sort_read_as(sort_case_insensitive),
    ),
    Violation(
        "V-LIST-UPDATED-AT-AS-CREATED-AT",
        ("LIST-5", "LIST-10"),
        "sort=updated_at sorts by created_at",
        lambda: sort_read_as(updated_at_as_created_at),
    ),
    Violation(
        "V-LIST-CREATED-BY-CASE-INSENSITIVE",
        ("LIST-6",),
        "created_by matches whatever the case (lower(x) = lower(y))",
        merged_listing(
            other_cases,
            lambda exchange, note: (
                note["created_by"].casefold() == (exchange.param("created_by") or "").casefold()
            ),
        ),
    ),
    Violation(
        "V-LIST-PRIORITY-ZERO-IGNORED",
        ("LIST-7",),
        "priority=0 filters nothing (if priority: ...)",
        rewrite_request(
            param_edit(
                lambda exchange: (
                    exchange.with_params(priority=None)
                    if exchange.param("priority") == "0"
                    else None
                )
            )
        ),
        fast=True,
    ),
    Violation(
        "V-LIST-Q-CASE-SENSITIVE",
        ("LIST-8",),
        "q is case-sensitive",
        rewrite_reply(filtered(case_sensitive)),
    ),
    Violation(
        "V-LIST-Q-ASCII-ONLY",
        ("LIST-8",),
        "q folds ASCII letters only (SQLite's LIKE): ärger misses ÄRGER",
        rewrite_reply(filtered(ascii_folding)),
    ),
    Violation(
        "V-LIST-Q-WILDCARDS",
        ("LIST-8",),
        "% and _ in q are LIKE wildcards",
        merged_listing(without_q, like),
    ),
    Violation(
        "V-LIST-Q-DROPPED-WITH-CREATED-BY",
        ("LIST-9",),
        "q is ignored when created_by is given (an elif too many)",
        rewrite_request(
            param_edit(
                lambda exchange: (
                    exchange.with_params(q=None)
                    if exchange.param("q") is not None and exchange.param("created_by") is not None
                    else None
                )
            )
        ),
    ),
    Violation(
        "V-LIST-UNKNOWN-PARAMETER-422",
        ("LIST-19",),
        "unknown query parameters are refused with 422",
        answer_instead(unknown_parameter_refused),
    ),
    Violation(
        "V-LIST-EMPTY-CREATED-BY-LISTS-ALL",
        ("LIST-21",),
        "created_by= (empty) lists every note",
        rewrite_request(
            param_edit(
                lambda exchange: (
                    exchange.with_params(created_by=None)
                    if exchange.param("created_by") == ""
                    else None
                )
            )
        ),
    ),
    Violation(
        "V-LIST-PRIORITY-OVERFLOW-500",
        ("LIST-21", "ERR-9"),
        "a priority filter outside 32 bits is a 500 (the driver overflows)",
        answer_instead(priority_overflow_500),
    ),
    Violation(
        "V-LIST-FORGED-CURSOR-FIRST-PAGE",
        ("LIST-22",),
        "a cursor the server cannot read gives the first page instead of 422",
        forged_cursor_as_first_page,
        fast=True,
    ),
    Violation(
        "V-LIST-STALE-NOTES",
        ("LIST-1",),
        "pages show each note as it was when first listed (a stale cache)",
        stale_listing,
    ),
)
