"""Timestamps in (RFC 3339 and the tutorial's form) and out (UTC with Z)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from notes.domain.timestamps import (
    TUTORIAL_PATTERN,
    TimestampError,
    format_timestamp,
    parse_timestamp,
    utc_now,
)

SHAPE = (
    "must be an RFC 3339 date-time (2017-08-23T00:00:00Z) or YYYY-MM-DD HH:MM[:SS[.ffffff]] in UTC"
)
INVALID = "is not a valid date and time"
OUT_OF_RANGE = "cannot be represented in UTC (year 1 to 9999)"
BAD_OFFSET = "has an offset out of range (-23:59 to +23:59)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-08-23T00:00:00Z", datetime(2017, 8, 23)),
        ("2017-08-23t00:00:00z", datetime(2017, 8, 23)),
        ("2017-08-23T10:11:12Z", datetime(2017, 8, 23, 10, 11, 12)),
        ("2017-08-23T00:00:00+00:00", datetime(2017, 8, 23)),
        ("2017-08-23T00:00:00-00:00", datetime(2017, 8, 23)),
        ("2017-08-23T00:00:00+05:30", datetime(2017, 8, 22, 18, 30)),
        ("2017-08-23T00:00:00-05:30", datetime(2017, 8, 23, 5, 30)),
        ("2017-08-23T00:00:00+23:59", datetime(2017, 8, 22, 0, 1)),
        ("2017-08-23T00:00:00-23:59", datetime(2017, 8, 23, 23, 59)),
        ("2017-08-23T00:00:00+00:59", datetime(2017, 8, 22, 23, 1)),
        ("2017-08-23T00:00:00.1Z", datetime(2017, 8, 23, 0, 0, 0, 100_000)),
        ("2017-08-23T00:00:00.12Z", datetime(2017, 8, 23, 0, 0, 0, 120_000)),
        ("2017-08-23T00:00:00.000001Z", datetime(2017, 8, 23, 0, 0, 0, 1)),
        ("2017-08-23T00:00:00.123456Z", datetime(2017, 8, 23, 0, 0, 0, 123_456)),
        ("2017-08-23T00:00:00.1234567Z", datetime(2017, 8, 23, 0, 0, 0, 123_456)),
        ("2017-08-23T00:00:00.123456789Z", datetime(2017, 8, 23, 0, 0, 0, 123_456)),
        ("2017-08-23T00:00:00.999999999Z", datetime(2017, 8, 23, 0, 0, 0, 999_999)),
        ("2017-08-23T00:00:00.0000009Z", datetime(2017, 8, 23)),
        ("2017-08-23T00:00:00.5+01:00", datetime(2017, 8, 22, 23, 0, 0, 500_000)),
        ("2016-02-29T23:59:59Z", datetime(2016, 2, 29, 23, 59, 59)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1)),
        ("9999-12-31T23:59:59.999999Z", datetime(9999, 12, 31, 23, 59, 59, 999_999)),
        ("0001-01-01T00:59:00+00:59", datetime(1, 1, 1)),
        ("9999-12-31T22:59:59-01:00", datetime(9999, 12, 31, 23, 59, 59)),
        # the tutorial's form, read as UTC
        ("2017-08-23 00:00", datetime(2017, 8, 23)),
        ("2017-08-23 13:45", datetime(2017, 8, 23, 13, 45)),
        ("2017-08-23 13:45:07", datetime(2017, 8, 23, 13, 45, 7)),
        ("2017-08-23 13:45:07.5", datetime(2017, 8, 23, 13, 45, 7, 500_000)),
        ("2017-08-23 13:45:07.123456", datetime(2017, 8, 23, 13, 45, 7, 123_456)),
        ("9999-12-31 23:59:59.999999", datetime(9999, 12, 31, 23, 59, 59, 999_999)),
        ("0001-01-01 00:00", datetime(1, 1, 1)),
    ],
)
def test_parse_accepts(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", SHAPE),
        ("2017-08-23", SHAPE),
        ("2017-08-23T00:00:00", SHAPE),  # RFC 3339 needs an offset
        ("2017-08-23T00:00Z", SHAPE),
        ("2017-08-23 00:00Z", SHAPE),
        ("2017-08-23 00:00:00+00:00", SHAPE),
        ("2017-08-23T00:00:00.Z", SHAPE),
        ("2017-08-23T00:00:00+0530", SHAPE),
        ("2017-08-23T00:00:00+5:30", SHAPE),
        (" 2017-08-23T00:00:00Z", SHAPE),
        ("2017-08-23T00:00:00Z ", SHAPE),
        ("2017-08-23T00:00:00Zjunk", SHAPE),
        ("2017-08-23 00:00 ", SHAPE),
        ("2017-08-23 00:00:00.1234567", SHAPE),
        ("2017-08-23 00:00:00.", SHAPE),
        ("17-08-23T00:00:00Z", SHAPE),
        ("2017-8-23T00:00:00Z", SHAPE),
        ("2017/08/23T00:00:00Z", SHAPE),
        ("\uff12\uff10\uff11\uff17-08-23T00:00:00Z", SHAPE),  # fullwidth digits
        ("2017-08-23T00:00:0\u0663Z", SHAPE),  # an Arabic-Indic digit
        ("2017-08-23 0\u0660:00", SHAPE),
        ("2017-08-23T00:00:00+05:3\u0660", SHAPE),
        ("2017-02-30T00:00:00Z", INVALID),
        ("2017-02-29 00:00", INVALID),
        ("2017-13-01T00:00:00Z", INVALID),
        ("2017-00-01T00:00:00Z", INVALID),
        ("2017-08-32T00:00:00Z", INVALID),
        ("2017-08-23T24:00:00Z", INVALID),
        ("2017-08-23T23:60:00Z", INVALID),
        ("2017-08-23T23:59:60Z", INVALID),
        ("2017-08-23 24:00", INVALID),
        ("0000-01-01T00:00:00Z", INVALID),
        ("0000-12-31 23:59", INVALID),
        ("2017-08-23T00:00:00+24:00", BAD_OFFSET),
        ("2017-08-23T00:00:00-24:00", BAD_OFFSET),
        ("2017-08-23T00:00:00+23:60", BAD_OFFSET),
        ("2017-08-23T00:00:00-00:60", BAD_OFFSET),
        ("2017-08-23T00:00:00+99:99", BAD_OFFSET),
        ("9999-12-31T23:59:59-01:00", OUT_OF_RANGE),
        ("9999-12-31T23:59:59.999999-00:01", OUT_OF_RANGE),
        ("0001-01-01T00:00:00+01:00", OUT_OF_RANGE),
        ("0001-01-01T00:00:00+00:01", OUT_OF_RANGE),
    ],
)
def test_parse_rejects(text: str, message: str) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_timestamp(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_tutorial_fraction_needs_seconds() -> None:
    assert not re.fullmatch(TUTORIAL_PATTERN.strip("^$"), "2017-08-23 00:00.5")
    with pytest.raises(TimestampError):
        parse_timestamp("2017-08-23 00:00.5")


@pytest.mark.parametrize(
    "text",
    [
        "2017-08-23 00:00",
        "2017-08-23 00:00:00",
        "2017-08-23 00:00:00.1",
        "2017-08-23 00:00:00.123456",
    ],
)
def test_tutorial_pattern_agrees(text: str) -> None:
    assert re.search(TUTORIAL_PATTERN, text)
    parse_timestamp(text)


@pytest.mark.parametrize(
    "text",
    ["2017-08-23 00:00:00.1234567", "2017-08-23 00:00:", "2017-08-23T00:00", "x2017-08-23 00:00"],
)
def test_tutorial_pattern_rejects(text: str) -> None:
    assert not re.search(TUTORIAL_PATTERN, text)
    with pytest.raises(TimestampError):
        parse_timestamp(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2017, 8, 23), "2017-08-23T00:00:00Z"),
        (datetime(2017, 8, 23, 1, 2, 3), "2017-08-23T01:02:03Z"),
        (datetime(2017, 8, 23, 1, 2, 3, 4), "2017-08-23T01:02:03.000004Z"),
        (datetime(2017, 8, 23, 0, 0, 0, 500_000), "2017-08-23T00:00:00.500000Z"),
        (datetime(2026, 11, 23, 10, 0, 0, 123_456), "2026-11-23T10:00:00.123456Z"),
        (datetime(1, 1, 1), "0001-01-01T00:00:00Z"),
        (datetime(999, 2, 3, 4, 5, 6), "0999-02-03T04:05:06Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999_999), "9999-12-31T23:59:59.999999Z"),
        (datetime(2017, 8, 23, tzinfo=UTC), "2017-08-23T00:00:00Z"),
    ],
)
def test_format(value: datetime, text: str) -> None:
    assert format_timestamp(value) == text


@pytest.mark.parametrize(
    "value",
    [
        datetime(2017, 8, 23),
        datetime(1, 1, 1),
        datetime(9999, 12, 31, 23, 59, 59, 999_999),
        datetime(2017, 8, 23, 0, 0, 0, 1),
    ],
)
def test_format_then_parse_round_trips(value: datetime) -> None:
    assert parse_timestamp(format_timestamp(value)) == value


def test_utc_now_is_naive_utc() -> None:
    before = datetime.now(UTC).replace(tzinfo=None)
    now = utc_now()
    after = datetime.now(UTC).replace(tzinfo=None)
    assert now.tzinfo is None
    assert before <= now <= after
    # not local time: a naive UTC value differs from a local one by the local offset
    local_offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    assert abs((datetime.now() - local_offset) - now) < timedelta(seconds=5)


def test_offset_sign_matters() -> None:
    plus = parse_timestamp("2017-08-23T12:00:00+02:00")
    minus = parse_timestamp("2017-08-23T12:00:00-02:00")
    assert minus - plus == timedelta(hours=4)
    assert plus == datetime(2017, 8, 23, 12, tzinfo=timezone(timedelta(hours=2))).astimezone(
        UTC
    ).replace(tzinfo=None)


def _accepted(text: str) -> bool:
    try:
        parse_timestamp(text)
    except TimestampError:
        return False
    return True


@pytest.mark.parametrize(
    "year", ["0000", "0001", "0004", "0100", "0400", "1900", "2000", "2016", "2017", "2100", "9999"]
)
def test_document_pattern_and_parser_agree_on_dates(year: str) -> None:
    """The OpenAPI pattern of the tutorial form accepts exactly the dates the server does."""
    pattern = re.compile(TUTORIAL_PATTERN)
    for month in range(14):
        for day in range(33):
            text = f"{year}-{month:02d}-{day:02d} 12:30"
            assert bool(pattern.search(text)) is _accepted(text), text


@pytest.mark.parametrize(
    "time",
    [
        "00:00",
        "23:59",
        "24:00",
        "23:60",
        "00:00:00",
        "23:59:59",
        "23:59:60",
        "12:00:00.1",
        "12:00:00.123456",
        "12:00:00.1234567",
        "12:00:",
        "1:00",
        "12:00:00.",
    ],
)
def test_document_pattern_and_parser_agree_on_times(time: str) -> None:
    text = f"2017-08-23 {time}"
    assert bool(re.search(TUTORIAL_PATTERN, text)) is _accepted(text), text


@pytest.fixture
def local_time_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is UTC+05:30, as a server's might be."""
    monkeypatch.setenv("TZ", "IST-05:30")
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.usefixtures("local_time_not_utc")
def test_utc_whatever_the_local_time_zone() -> None:
    assert datetime.now().astimezone().utcoffset() == timedelta(hours=5, minutes=30)
    now = utc_now()
    assert abs(now - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=5)
    assert parse_timestamp("2017-08-23T00:00:00Z") == datetime(2017, 8, 23)
    assert parse_timestamp("2017-08-23T00:00:00+01:00") == datetime(2017, 8, 22, 23)
    assert parse_timestamp("2017-08-23 00:00") == datetime(2017, 8, 23)
    assert format_timestamp(datetime(2017, 8, 23)) == "2017-08-23T00:00:00Z"
