"""The listing's query parameters and its opaque keyset cursor."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import re
from datetime import datetime
from typing import Final

import orjson
from multidict import MultiMapping

from notes.domain.errors import FieldProblem, ValidationFailed
from notes.domain.records import NoteObject, dumps
from notes.domain.schemas import INT32_MAX, INT32_MIN
from notes.domain.timestamps import TimestampError, format_timestamp, parse_timestamp

SORT_KEYS: Final = ("id", "priority", "created_at", "updated_at", "title")
SORT_VALUES: Final = tuple(f"{prefix}{key}" for key in SORT_KEYS for prefix in ("", "-"))
# Sort keys whose values are timestamps: stored and shown as text, compared as datetimes.
TIMESTAMP_SORT_KEYS: Final = ("created_at", "updated_at")
NOTE_ID_MAX: Final = 2**63 - 1
_INTEGER = re.compile(r"-?[0-9]+")

SortValue = int | str | datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Cursor:
    """The last note of a page: its value of the sort key, and its id (the tie-breaker)."""

    value: SortValue
    id: int


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """A page of the listing: its notes as a JSON array, and the position of its last
    note when there is a next page."""

    notes: bytes
    last: Cursor | None


@dataclasses.dataclass(frozen=True, slots=True)
class ListQuery:
    limit: int
    sort_key: str = "id"
    descending: bool = False
    created_by: str | None = None
    priority: int | None = None
    q: str | None = None
    after: Cursor | None = None

    @property
    def sort(self) -> str:
        return f"-{self.sort_key}" if self.descending else self.sort_key


def parse_list_query(
    params: MultiMapping[str], *, default_limit: int, max_limit: int, signing_key: bytes
) -> ListQuery:
    """Read the known parameters (others are ignored); every bad one is reported at once."""
    problems: list[FieldProblem] = []
    single: dict[str, str] = {}
    for name in ("limit", "cursor", "sort", "created_by", "priority", "q"):
        values = params.getall(name, [])
        if len(values) > 1:
            problems.append(FieldProblem(name, "must be given at most once"))
        elif values:
            single[name] = values[0]

    limit = default_limit
    if "limit" in single:
        parsed = _integer(single["limit"])
        if parsed is None or not 1 <= parsed <= max_limit:
            problems.append(FieldProblem("limit", f"must be an integer from 1 to {max_limit}"))
        else:
            limit = parsed

    sort = single.get("sort", "id")
    if sort not in SORT_VALUES:
        problems.append(FieldProblem("sort", f"must be one of {', '.join(SORT_VALUES)}"))
        sort = "id"

    priority = None
    if "priority" in single:
        priority = _integer(single["priority"])
        if priority is None or not INT32_MIN <= priority <= INT32_MAX:
            problems.append(
                FieldProblem("priority", f"must be an integer from {INT32_MIN} to {INT32_MAX}")
            )

    for name in ("created_by", "q"):
        if "\x00" in single.get(name, ""):
            problems.append(FieldProblem(name, "must not contain U+0000"))

    after = None
    if "cursor" in single:
        after = decode_cursor(single["cursor"], sort, key=signing_key)
        if after is None:
            problems.append(
                FieldProblem("cursor", "is not a cursor this listing gave out for this sort")
            )

    if problems:
        raise ValidationFailed(problems)
    return ListQuery(
        limit=limit,
        sort_key=sort.removeprefix("-"),
        descending=sort.startswith("-"),
        created_by=single.get("created_by"),
        priority=priority,
        q=single.get("q"),
        after=after,
    )


def _integer(text: str) -> int | None:
    # Bounded length first: int() of a huge digit string is slow and then refused anyway.
    if len(text) > 20 or not _INTEGER.fullmatch(text):
        return None
    return int(text)


def sort_value(note: NoteObject, sort_key: str) -> SortValue:
    value: SortValue = note[sort_key]
    return value


def page_of(found: list[NoteObject], limit: int, sort_key: str) -> Page:
    """The page of `found`: a page of notes, and one more when there is a next page."""
    page = found[:limit]
    last = None
    if len(found) > limit:
        last = Cursor(value=sort_value(page[-1], sort_key), id=page[-1]["id"])
    return Page(dumps(page), last)


# Cursors are signed: a position a client made up (or mangled) is a 422, not a page.
_MAC_SIZE = 12


def cursor_key(secret: str, database_url: str) -> bytes:
    """The signing key: NOTES_CURSOR_SECRET, or else one every process of the same
    deployment derives alike from its database URL (not secret, but never mistaken)."""
    return hashlib.sha256(f"notes-cursor\0{secret or database_url}".encode()).digest()


def _mac(key: bytes, payload: bytes) -> bytes:
    # Keyed BLAKE2b is a MAC by design (RFC 7693 section 2.9) and one C call: HMAC's
    # Python wrapper cost a page 4% of its throughput (benchmarks/README.md).
    return hashlib.blake2b(payload, key=key, digest_size=_MAC_SIZE).digest()


def encode_cursor(note: NoteObject, sort: str, *, key: bytes) -> str:
    position = Cursor(value=sort_value(note, sort.removeprefix("-")), id=note["id"])
    return encode_position(position, sort, key=key)


def encode_position(position: Cursor, sort: str, *, key: bytes) -> str:
    """The cursor of the page that follows `position` in the listing sorted by `sort`."""
    value = position.value
    plain = format_timestamp(value) if isinstance(value, datetime) else value
    payload = orjson.dumps([sort, plain, position.id])
    token = base64.urlsafe_b64encode(_mac(key, payload) + payload)
    return token.decode("ascii").rstrip("=")


def decode_cursor(token: str, sort: str, *, key: bytes) -> Cursor | None:
    """The cursor's position, or None when it is not one this service made for `sort`."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    mac, payload = raw[:_MAC_SIZE], raw[_MAC_SIZE:]
    if not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    try:
        decoded = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not (isinstance(decoded, list) and len(decoded) == 3 and decoded[0] == sort):
        return None
    _, value, note_id = decoded
    if type(note_id) is not int or not 1 <= note_id <= NOTE_ID_MAX:
        return None
    parsed = _cursor_value(sort.removeprefix("-"), value)
    return None if parsed is None else Cursor(value=parsed, id=note_id)


def _cursor_value(sort_key: str, value: object) -> SortValue | None:
    if sort_key in ("id", "priority"):
        bound = NOTE_ID_MAX if sort_key == "id" else INT32_MAX
        if type(value) is int and -bound - 1 <= value <= bound:
            return value
        return None
    if not isinstance(value, str) or "\x00" in value:
        return None
    if sort_key == "title":
        return value
    try:
        return parse_timestamp(value)
    except TimestampError:
        return None
