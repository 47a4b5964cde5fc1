"""VAL: the writable fields and the values they accept."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from conformance.selftest.catalogue.common import INT32_MAX, INT32_MIN, Overrides, note_of
from conformance.selftest.traffic import WRITES, Exchange, JsonObject, Reply, invalid
from conformance.selftest.violation import (
    Context,
    Handler,
    Violation,
    answer_instead,
    rewrite_request,
)

KNOWN = frozenset({"title", "description", "created_at", "created_by", "priority"})
READ_ONLY = frozenset({"id", "updated_at"})
LENGTHS = {"title": 200, "description": 10_000, "created_by": 100}
INT64_MAX = 2**63 - 1
DATE_ONLY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
NO_OFFSET = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")
WITH_OFFSET = re.compile(r"^(.*[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)[+-][0-9]{2}:[0-9]{2}$")
TUTORIAL_FORM = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")
TIME = re.compile(
    r"^(?P<year>[0-9]{4,5})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt ]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.[0-9]+)?)?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?$"
)
EARLIEST = "0001-01-01T00:00:00Z"
LATEST = "9999-12-31T23:59:59.999999Z"


def write_body(exchange: Exchange) -> JsonObject | None:
    """The JSON object a create, replace or patch carries."""
    if exchange.method not in WRITES or not (exchange.is_create or exchange.is_item_write):
        return None
    return exchange.json_object()


def widened(
    field: str, outside: Callable[[Any], bool], stored_as: Callable[[Any], Any]
) -> Callable[[], Handler]:
    """A bound one step too wide: a value just outside it is taken and shown as given.

    The server is sent `stored_as(value)` (a value it accepts), and every note the proxy
    passes on afterwards shows the value the client gave, until a write replaces it.
    """

    def make() -> Handler:
        shown = Overrides()

        async def handle(exchange: Exchange, context: Context) -> Reply:
            body = write_body(exchange)
            if body is not None and field in body and outside(body[field]):
                reply = await context.forward(
                    exchange.with_json({**body, field: stored_as(body[field])})
                )
                note = note_of(reply)
                if note is not None:
                    context.hit()
                    shown.set(note["id"], field, body[field])
                return shown.apply(reply)
            reply = await context.forward(exchange)
            note_id = exchange.note_id
            if note_id is not None and reply.ok:
                if exchange.method == "DELETE":
                    shown.forget(note_id)
                elif body is not None and (exchange.method == "PUT" or field in body):
                    shown.forget(note_id, field)
            return shown.apply(reply)

        return handle

    return make


def too_long(bound: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and len(value) == bound + 1


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def outside_int32(value: Any) -> bool:
    return is_integer(value) and not INT32_MIN <= value <= INT32_MAX and abs(value) <= INT64_MAX


def clamp_int32(value: Any) -> Any:
    return max(INT32_MIN, min(INT32_MAX, value))


def coerced(
    kind: Callable[[Any], bool], convert: Callable[[Any], Any]
) -> Callable[[Exchange], Exchange | None]:
    """priority values of `kind` taken as `convert(value)`."""

    def edit(exchange: Exchange) -> Exchange | None:
        body = write_body(exchange)
        if body is None or "priority" not in body or not kind(body["priority"]):
            return None
        return exchange.with_json({**body, "priority": convert(body["priority"])})

    return edit


def dropped(keys: Callable[[str], bool]) -> Callable[[Exchange], Exchange | None]:
    """Body members whose key satisfies `keys` are silently ignored."""

    def edit(exchange: Exchange) -> Exchange | None:
        body = write_body(exchange)
        if body is None or not any(keys(key) for key in body):
            return None
        return exchange.with_json({key: value for key, value in body.items() if not keys(key)})

    return edit


def nul_stripped(exchange: Exchange) -> Exchange | None:
    body = write_body(exchange)
    if body is None or not any(isinstance(v, str) and "\x00" in v for v in body.values()):
        return None
    return exchange.with_json(
        {key: v.replace("\x00", "") if isinstance(v, str) else v for key, v in body.items()}
    )


def utf16_length(exchange: Exchange) -> Reply | None:
    body = write_body(exchange)
    for field, bound in LENGTHS.items():
        value = (body or {}).get(field)
        if isinstance(value, str) and len(value) <= bound < len(value.encode("utf-16-le")) // 2:
            return invalid(field, f"at most {bound} characters")
    return None


def title_defaulted(exchange: Exchange) -> Exchange | None:
    body = write_body(exchange)
    if body is None or exchange.method == "PATCH" or "title" in body:
        return None
    return exchange.with_json({"title": "untitled", **body})


def created_at_rewritten(
    change: Callable[[str], str | None],
) -> Callable[[Exchange], Exchange | None]:
    def edit(exchange: Exchange) -> Exchange | None:
        body = write_body(exchange)
        value = (body or {}).get("created_at")
        new = change(value) if isinstance(value, str) else None
        if body is None or new is None:
            return None
        return exchange.with_json({**body, "created_at": new})

    return edit


def date_only(value: str) -> str | None:
    return f"{value} 00:00" if DATE_ONLY.match(value) else None


def no_offset(value: str) -> str | None:
    return f"{value}Z" if NO_OFFSET.match(value) else None


def offset_ignored(value: str) -> str | None:
    match = WITH_OFFSET.match(value)
    return None if match is None or value.endswith(("+00:00", "-00:00")) else f"{match.group(1)}Z"


def out_of_years(value: str) -> str | None:
    """The nearest instant a server that clamps to its datetime's range would store."""
    match = TIME.match(value)
    if match is None:
        return None
    year = int(match["year"])
    if year == 0:
        return EARLIEST
    if year > 9999:
        return LATEST
    offset = match["offset"] or "Z"
    minutes = 0 if offset in {"Z", "z"} else int(offset[1:3]) * 60 + int(offset[4:6])
    sign = -1 if offset.startswith("-") else 1
    try:
        local = datetime(
            year,
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=timezone(timedelta(minutes=sign * minutes)),
        )
        local.astimezone(UTC)
    except OverflowError:
        return EARLIEST if year == 1 else LATEST
    except ValueError:  # no such date, or an offset past 23:59: left to the server
        return None
    return None


def tutorial_form_refused(exchange: Exchange) -> Reply | None:
    value = (write_body(exchange) or {}).get("created_at")
    if isinstance(value, str) and TUTORIAL_FORM.match(value):
        return invalid("created_at", "not an RFC 3339 date-time")
    return None


def created_at_defaulted_to_epoch(exchange: Exchange) -> Exchange | None:
    body = write_body(exchange)
    if body is None or not exchange.is_create or "created_at" in body:
        return None
    return exchange.with_json({**body, "created_at": "1970-01-01T00:00:00Z"})


VIOLATIONS = (
    Violation(
        "V-VAL-TITLE-201",
        ("VAL-1", "VAL-9"),
        "a title of 201 code points is taken (and shown) as given",
        widened("title", too_long(200), lambda value: value[:200]),
        fast=True,
    ),
    Violation(
        "V-VAL-DESCRIPTION-10001",
        ("VAL-2", "VAL-9"),
        "a description of 10,001 code points is taken as given",
        widened("description", too_long(10_000), lambda value: value[:10_000]),
    ),
    Violation(
        "V-VAL-CREATED-BY-101",
        ("VAL-4", "VAL-9"),
        "a created_by of 101 code points is taken as given",
        widened("created_by", too_long(100), lambda value: value[:100]),
    ),
    Violation(
        "V-VAL-PRIORITY-INT64",
        ("VAL-5", "VAL-9"),
        "priority is a 64-bit integer: 2147483648 and -2147483649 are taken",
        widened("priority", outside_int32, clamp_int32),
    ),
    Violation(
        "V-VAL-PRIORITY-BOOL",
        ("VAL-9",),
        "priority true and false are taken as 1 and 0 (bool is an int)",
        rewrite_request(coerced(lambda value: isinstance(value, bool), int)),
    ),
    Violation(
        "V-VAL-PRIORITY-NUMERIC-STRING",
        ("VAL-9",),
        'priority "4" is taken as 4 (lax coercion)',
        rewrite_request(
            coerced(lambda value: isinstance(value, str) and value.lstrip("-").isdigit(), int)
        ),
    ),
    Violation(
        "V-VAL-UNKNOWN-IGNORED",
        ("VAL-8",),
        "unknown members (titel, Title, colour) are silently dropped",
        rewrite_request(dropped(lambda key: key not in KNOWN | READ_ONLY)),
    ),
    Violation(
        "V-VAL-READ-ONLY-IGNORED",
        ("VAL-8",),
        "read-only members (id, updated_at) in a body are silently dropped",
        rewrite_request(dropped(lambda key: key in READ_ONLY)),
    ),
    Violation(
        "V-VAL-NUL-STRIPPED",
        ("VAL-7",),
        "U+0000 is removed from strings instead of refused",
        rewrite_request(nul_stripped),
    ),
    Violation(
        "V-VAL-UTF16-LENGTH",
        ("VAL-6",),
        "lengths counted in UTF-16 units: 200 times U+1D11E is refused",
        answer_instead(utf16_length),
    ),
    Violation(
        "V-VAL-TITLE-DEFAULTED",
        ("VAL-1",),
        'a POST or PUT without title gets "untitled" instead of a 422',
        rewrite_request(title_defaulted),
    ),
    Violation(
        "V-VAL-DATE-ONLY",
        ("VAL-14",),
        "a created_at that is a date alone is taken as midnight UTC",
        rewrite_request(created_at_rewritten(date_only)),
    ),
    Violation(
        "V-VAL-NO-OFFSET",
        ("VAL-14",),
        "an RFC 3339 time without offset is taken as UTC",
        rewrite_request(created_at_rewritten(no_offset)),
    ),
    Violation(
        "V-VAL-OFFSET-IGNORED",
        ("VAL-12",),
        "the offset of created_at is ignored: 02:30+02:30 is stored as 02:30Z",
        rewrite_request(created_at_rewritten(offset_ignored)),
    ),
    Violation(
        "V-VAL-TUTORIAL-FORM-REFUSED",
        ("VAL-13",),
        'the tutorial\'s "2017-08-23 00:00" is refused (a strict RFC 3339 parser)',
        answer_instead(tutorial_form_refused),
    ),
    Violation(
        "V-VAL-YEARS-CLAMPED",
        ("VAL-15",),
        "a created_at outside years 1-9999 in UTC is clamped to the nearest extreme",
        rewrite_request(created_at_rewritten(out_of_years)),
    ),
    Violation(
        "V-VAL-CREATED-AT-EPOCH",
        ("VAL-3", "CRUD-2"),
        "an omitted created_at defaults to 1970-01-01T00:00:00Z, not the time of creation",
        rewrite_request(created_at_defaulted_to_epoch),
    ),
)
