"""Timestamps in and out: RFC 3339 (and the tutorial's form) in, UTC with `Z` out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# [0-9] rather than \d: \d also matches digits of other scripts.
RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<minutes>[0-9]{2}:[0-9]{2}):(?P<seconds>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# Seconds are optional, and a fraction only follows seconds.
TUTORIAL = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}) (?P<minutes>[0-9]{2}:[0-9]{2})"
    r"(?::(?P<seconds>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,6}))?)?"
)
# The tutorial's form for the OpenAPI document (ECMA-262 syntax), exact: years 0001-9999,
# days by month, 29 February in leap years only (the Gregorian rule), a 24-hour clock.
_YEAR = r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_DATE = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
TUTORIAL_PATTERN = f"^{_DATE} {_TIME}$"


class TimestampError(ValueError):
    """The text is not a timestamp this service accepts; the message says why."""


def utc_now() -> datetime:
    """The current time as the naive UTC datetime the database stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def already_datetime(value: datetime) -> datetime:
    """The reader of timestamps that a driver (or a record) holds as datetimes already."""
    return value


def read_shown_timestamp(text: str) -> datetime:
    """A timestamp as this service shows it (`format_timestamp`), as naive UTC: one C
    call, for text that is known to be ours."""
    return datetime.fromisoformat(text.removesuffix("Z"))


def parse_timestamp(text: str) -> datetime:
    """Read RFC 3339 (any offset) or `YYYY-MM-DD HH:MM[:SS[.ffffff]]` (UTC) as naive UTC."""
    if match := RFC3339.fullmatch(text):
        offset_text = match["offset"]
        offset = _parse_offset(offset_text)
    elif match := TUTORIAL.fullmatch(text):
        offset = timedelta(0)
    else:
        raise TimestampError(
            "must be an RFC 3339 date-time (2017-08-23T00:00:00Z) "
            "or YYYY-MM-DD HH:MM[:SS[.ffffff]] in UTC"
        )
    time_text = f"{match['minutes']}:{match['seconds'] or '00'}"
    # fromisoformat (3.11+) truncates digits past microseconds, as the database would.
    fraction = match["fraction"] or "0"
    try:
        local = datetime.fromisoformat(f"{match['date']}T{time_text}.{fraction}")
    except ValueError:
        raise TimestampError("is not a valid date and time") from None
    try:
        as_utc = local.replace(tzinfo=timezone(offset)).astimezone(UTC)
    except OverflowError:
        raise TimestampError("cannot be represented in UTC (year 1 to 9999)") from None
    return as_utc.replace(tzinfo=None)


def _parse_offset(text: str) -> timedelta:
    if text in ("Z", "z"):
        return timedelta(0)
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise TimestampError("has an offset out of range (-23:59 to +23:59)")
    magnitude = timedelta(hours=hours, minutes=minutes)
    return -magnitude if text[0] == "-" else magnitude


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with `Z`; the fraction only when there is one (as isoformat does)."""
    return value.replace(tzinfo=None).isoformat() + "Z"
