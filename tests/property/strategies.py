"""Data at the edges of the contract: every length bound, the int32 bounds, non-ASCII and
astral text, small alphabets so that sort keys tie, and every accepted ``created_at`` form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from tests.property.model import (
    INT32_MAX,
    INT32_MIN,
    SORTS,
    Body,
    ListingQuery,
    Note,
    Timestamp,
)

# Letters whose case folding is not one-to-one (ß, İ, ς, the Kelvin sign), LIKE's
# metacharacters, a combining accent, characters on both sides of the surrogate range
# (UTF-16 orders them differently from code points), quotes and whitespace.
TRICKY = (
    "aAbB%_\\ßsS\u0130i\u0131\u03a3\u03c3\u03c2kK\u212a\u00e9\u0301"
    "\uff21\ue000\U0001f600\U0001d518 \t\n\"'"
)
# Characters with a meaning in LIKE (and its usual escapes), GLOB or regular expressions.
METACHARACTERS = "%_\\/!^*?.[]$"
TEXT_CHARACTERS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
TIE_PRONE_CREATORS = ("alice", "Alice", "bob", "ß")
TIE_PRONE_INSTANTS = (
    datetime(2017, 8, 23, tzinfo=UTC),
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
)
EXTREME_INSTANTS = (
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
)
PRIORITY_EDGES = (INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX)


def texts(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Text of ``min_size`` to ``max_size`` code points, each bound reached often."""
    tricky = st.text(st.sampled_from(TRICKY), min_size=min_size, max_size=min(max_size, 3))
    general = st.text(TEXT_CHARACTERS, min_size=min_size, max_size=min(max_size, 24))
    # Repeating a short seed reaches 10,000 code points without 10,000 draws.
    seed = st.text(st.sampled_from(TRICKY) | TEXT_CHARACTERS, min_size=1, max_size=3)
    return st.one_of(
        tricky,
        general,
        seed.map(lambda s: (s * max_size)[:max_size]),
        seed.map(lambda s: (s * max(min_size, 1))[:min_size]),
    )


titles = texts(1, 200)
descriptions = texts(0, 10_000)
creators = st.sampled_from(TIE_PRONE_CREATORS) | texts(1, 100)
priorities = st.sampled_from(PRIORITY_EDGES) | st.integers(INT32_MIN, INT32_MAX)


def _fraction(draw: st.DrawFn, microsecond: int, *, exact: bool) -> str:
    digits = f"{microsecond:06d}"
    options = [f".{digits}"] if exact else [f".{digits}", f".{digits.rstrip('0')}"]
    if microsecond == 0:
        options = ["", ".0", f".{digits}"] if not exact else ["", f".{digits}"]
    return draw(st.sampled_from(options))


def _date_time(value: datetime) -> tuple[str, str]:
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}",
        f"{value.hour:02d}:{value.minute:02d}",
    )


@st.composite
def timestamp_forms(draw: st.DrawFn, instant: datetime) -> Timestamp:
    """Some text a client may send for ``instant``: RFC 3339 with ``Z`` or an offset, or the
    tutorial's ``YYYY-MM-DD HH:MM[:SS[.ffffff]]``."""
    forms = ["Z", "tutorial"]
    if datetime(1, 1, 2, tzinfo=UTC) <= instant <= datetime(9999, 12, 30, tzinfo=UTC):
        forms.append("offset")
    form = draw(st.sampled_from(forms))
    if form == "tutorial":
        date, hours_minutes = _date_time(instant)
        text = f"{date} {hours_minutes}"
        if instant.second or instant.microsecond or draw(st.booleans()):
            text += f":{instant.second:02d}" + _fraction(draw, instant.microsecond, exact=True)
        return Timestamp(text, instant)
    offset = timedelta(0)
    if form == "offset":
        minutes = draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59))
        offset = timedelta(minutes=minutes)
    local = instant.astimezone(timezone(offset))
    date, hours_minutes = _date_time(local)
    fraction = _fraction(draw, local.microsecond, exact=False)
    if form == "Z":
        zone = "Z"
    else:
        sign = "-" if offset < timedelta(0) else "+"
        hours, minutes = divmod(abs(int(offset.total_seconds())) // 60, 60)
        zone = f"{sign}{hours:02d}:{minutes:02d}"
    return Timestamp(f"{date}T{hours_minutes}:{local.second:02d}{fraction}{zone}", instant)


instants = st.one_of(
    st.sampled_from(TIE_PRONE_INSTANTS),
    st.sampled_from(EXTREME_INSTANTS),
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
)
timestamps = instants.flatmap(timestamp_forms)

_OPTIONAL_FIELDS: dict[str, st.SearchStrategy[object]] = {
    "description": descriptions,
    "priority": priorities,
    "created_at": timestamps,
}
create_bodies: st.SearchStrategy[Body] = st.fixed_dictionaries(
    {"title": titles, "created_by": creators}, optional=_OPTIONAL_FIELDS
)
put_bodies = create_bodies
patches: st.SearchStrategy[Body] = st.fixed_dictionaries(
    {},
    optional={
        "title": titles,
        "created_by": creators,
        "description": descriptions | st.none(),
        "priority": priorities | st.none(),
        "created_at": timestamps,
    },
)

# What a client may label a JSON body with (None: no Content-Type at all).
json_content_types = st.sampled_from(["application/json", "application/json; charset=utf-8", None])
patch_content_types = st.sampled_from(
    ["application/merge-patch+json", "application/json", "application/json; charset=UTF-8", None]
)
sorts = st.sampled_from(SORTS)


@st.composite
def unrepresentable_timestamps(draw: st.DrawFn) -> str:
    """RFC 3339 text whose instant falls in year 0 or year 10000 once converted to UTC."""
    minutes = draw(st.integers(1, 23 * 60 + 59))
    before = draw(st.integers(0, minutes - 1))
    sign = "+" if draw(st.booleans()) else "-"
    if sign == "+":  # 0001-01-01T00:<before> local is before midnight UTC of year 1
        local = datetime(1, 1, 1) + timedelta(minutes=before)
    else:
        local = datetime(9999, 12, 31, 23, 59) - timedelta(minutes=before)
    hours, rest = divmod(minutes, 60)
    date, hours_minutes = _date_time(local)
    return f"{date}T{hours_minutes}:00{sign}{hours:02d}:{rest:02d}"


# Small bodies whose sort keys tie often: what keyset pagination finds hardest.
tie_prone_bodies: st.SearchStrategy[Body] = st.fixed_dictionaries(
    {
        "title": st.text(st.sampled_from("aAß%_\\/\uff21\U0001f600"), min_size=1, max_size=2),
        "created_by": st.sampled_from(TIE_PRONE_CREATORS),
    },
    optional={
        "priority": st.sampled_from((INT32_MIN, 0, INT32_MAX)),
        "created_at": st.sampled_from(TIE_PRONE_INSTANTS).flatmap(timestamp_forms),
    },
)


CASE_CHANGES: tuple[Callable[[str], str], ...] = (
    str.upper,
    str.swapcase,
    str.casefold,
    str.lower,
    str,
)


@st.composite
def _pieces(draw: st.DrawFn, notes: Sequence[Note]) -> str:
    """A few consecutive characters of a note's title or description, in another case."""
    note = draw(st.sampled_from(notes))
    source = draw(st.sampled_from([note.fields.title, note.fields.description or "-"]))
    start = draw(st.integers(0, len(source) - 1))
    end = draw(st.integers(start + 1, min(len(source), start + 8)))
    case = draw(st.sampled_from(CASE_CHANGES))
    return case(source[start:end])


@st.composite
def _wildcard_probes(draw: st.DrawFn, notes: Sequence[Note]) -> str:
    """A piece of a note with a metacharacter (of LIKE, its escapes, GLOB or a regex) put in
    place of a character, or between two: found only by a server that reads it as a
    wildcard or as an escape, unless the note really holds that text."""
    piece = draw(_pieces(notes))
    at = draw(st.integers(0, len(piece)))
    # Mostly the three the contract names.
    wildcard = draw(st.sampled_from("%_\\") | st.sampled_from(METACHARACTERS))
    replaced = at + 1 if draw(st.booleans()) else at
    return piece[:at] + wildcard + piece[replaced:]


def queries(notes: Sequence[Note]) -> st.SearchStrategy[str]:
    """Search text: a piece of a note in another case, the same with a metacharacter in it,
    or tricky text."""
    tricky = st.text(st.sampled_from(TRICKY + METACHARACTERS), min_size=1, max_size=3)
    if not notes:
        return tricky
    return st.one_of(_pieces(notes), _wildcard_probes(notes), tricky)


def listing_queries(notes: Sequence[Note]) -> st.SearchStrategy[ListingQuery]:
    """Listings over ``notes``: any sort, small pages, filters that often match something."""
    creators = sorted({note.fields.created_by for note in notes} | set(TIE_PRONE_CREATORS))
    known_priorities = sorted({note.fields.priority for note in notes})
    return st.builds(
        ListingQuery,
        sort=st.none() | sorts,
        limit=st.none() | st.integers(1, 4) | st.just(1000),
        created_by=st.none() | st.sampled_from(creators),
        priority=st.none()
        | (st.sampled_from(known_priorities) if known_priorities else priorities),
        q=st.none() | queries(notes),
    )
