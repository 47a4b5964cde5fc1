"""GET /notes: the page shape, sorting by every key both ways, and the filters."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from notes_conformance.checks.support import (
    INT32_MAX,
    INT32_MIN,
    SORT_KEYS,
    Api,
    JsonObject,
    assert_note_shape,
    assert_problem,
    note_payload,
    parse_time,
    unique,
)

# Ties on every sortable field, and titles whose code-point order differs from a
# case-insensitive collation and from UTF-16 order ("\ufffd" < "\U0001f600" by code point).
ROWS: list[tuple[str, int, str]] = [
    ("b", 2, "2017-08-23 00:00"),
    ("B", 1, "2017-08-23 00:00"),
    ("a", 2, "2016-01-01T00:00:00Z"),
    ("\U0001f600", -1, "2018-01-01T00:00:00+01:00"),
    ("\ufffd", 2, "2017-08-23T00:00:00Z"),
    ("ab", 0, "2016-01-01 00:00:00.000001"),
    ("b", INT32_MIN, "2019-05-05 05:05"),
    ("\u00e9", INT32_MAX, "2017-08-23 00:00"),
    ("Z", 1, "0001-01-01 00:00"),
    ("a", 0, "9999-12-31 23:59:59.999999"),
]

SORT_VALUE: dict[str, Callable[[JsonObject], object]] = {
    "id": lambda note: note["id"],
    "priority": lambda note: note["priority"],
    "title": lambda note: note["title"],
    "created_at": lambda note: parse_time(note["created_at"]),
    "updated_at": lambda note: parse_time(note["updated_at"]),
}


def expected_order(notes: list[JsonObject], sort: str) -> list[int]:
    """The contract's order: by the key, either way, ties by id ascending."""
    key = SORT_VALUE[sort.lstrip("-")]
    by_id = sorted(notes, key=lambda note: note["id"])
    ordered = sorted(by_id, key=key, reverse=sort.startswith("-"))  # type: ignore[arg-type]
    return [note["id"] for note in ordered]


@pytest.fixture
def sortable(api: Api, owner: str) -> list[JsonObject]:
    notes = [
        api.create(note_payload(owner, title=title, priority=priority, created_at=created_at))
        for title, priority, created_at in ROWS
    ]
    # Make updated_at disagree with id order.
    for index in (2, 0, 5):
        response = api.send_json("PATCH", f"/notes/{notes[index]['id']}", {"description": "x"})
        assert response.status_code == 200
    return api.all_notes(created_by=owner)


@pytest.mark.rule("LIST-1", "REQ-14")
def test_the_page_shape(api: Api, owner: str) -> None:
    api.create(note_payload(owner))
    response = api.get("/notes", params={"created_by": owner})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "application/json"
    body = response.json()
    assert {"notes", "next"} <= set(body)
    assert body["next"] is None
    assert len(body["notes"]) == 1
    assert_note_shape(body["notes"][0])


@pytest.mark.rule("LIST-2")
def test_the_page_holds_notes_and_next_alone_in_that_order(api: Api, owner: str) -> None:
    api.create(note_payload(owner))
    assert list(api.list_page("/notes", created_by=owner).json()) == ["notes", "next"]


@pytest.mark.rule("LIST-1")
def test_listing_shows_notes_as_get_does(api: Api, owner: str) -> None:
    created = [api.create(note_payload(owner, title=f"n{index}")) for index in range(3)]
    assert api.all_notes(created_by=owner) == created
    assert [api.read(note["id"]).json() for note in created] == created


@pytest.mark.rule("LIST-5", "LIST-10")
def test_default_order_is_by_id(sortable: list[JsonObject]) -> None:
    ids = [note["id"] for note in sortable]
    assert len(ids) == len(ROWS)
    assert ids == sorted(ids)


@pytest.mark.rule("LIST-3", "LIST-5", "LIST-10", "LIST-11")
@pytest.mark.parametrize("sort", [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)])
@pytest.mark.parametrize("limit", [1, 3, 1000])
def test_sort_by_every_key_both_ways_ties_by_id(
    api: Api, owner: str, sortable: list[JsonObject], sort: str, limit: int
) -> None:
    pages = list(api.walk(created_by=owner, sort=sort, limit=limit))
    assert all(len(page) <= limit for page in pages)
    assert all(len(page) == limit for page in pages[:-1])
    assert [note["id"] for page in pages for note in page] == expected_order(sortable, sort)


@pytest.mark.rule("LIST-5")
def test_explicit_sort_id_equals_the_default(
    api: Api, owner: str, sortable: list[JsonObject]
) -> None:
    assert api.all_notes(created_by=owner, sort="id") == sortable


@pytest.mark.rule("LIST-6")
def test_created_by_is_an_exact_match(api: Api, owner: str) -> None:
    mine = api.create(note_payload(owner))
    api.create(note_payload(owner + "x"))
    api.create(note_payload(owner.upper()))
    assert api.all_notes(created_by=owner) == [mine]
    assert api.all_notes(created_by=owner[:-1]) == []
    assert api.all_notes(created_by=owner[:-4] + "%") == []
    assert api.all_notes(created_by=owner[:-1] + "_") == []


@pytest.mark.rule("LIST-7")
def test_priority_is_an_exact_match(api: Api, owner: str, sortable: list[JsonObject]) -> None:
    for priority in (2, 1, 0, -1, INT32_MIN, INT32_MAX):
        expected = [note for note in sortable if note["priority"] == priority]
        assert expected
        assert api.all_notes(created_by=owner, priority=priority) == expected
    assert api.all_notes(created_by=owner, priority=3) == []


@pytest.mark.rule("LIST-21")
@pytest.mark.parametrize("value", ["2147483648", "-2147483649", "99999999999999999999"])
def test_priority_filter_out_of_range_matches_nothing_or_is_422(api: Api, value: str) -> None:
    response = api.get("/notes", params={"priority": value})
    if response.status_code == 422:
        assert_problem(response, 422, field="priority")
    else:
        assert response.status_code == 200
        assert response.json()["notes"] == []


@pytest.mark.rule("LIST-8", "LIST-9")
def test_q_is_a_case_insensitive_substring_of_title_or_description(api: Api, owner: str) -> None:
    token = unique("tok")
    in_title = api.create(note_payload(owner, title=f"Title {token.upper()} end"))
    in_description = api.create(note_payload(owner, description=f"...{token}..."))
    api.create(note_payload(owner, title=token[:-1], description=token[1:]))
    assert api.all_notes(q=token) == [in_title, in_description]
    assert api.all_notes(q=token.upper()) == [in_title, in_description]
    assert api.all_notes(q=token.title()) == [in_title, in_description]
    assert api.all_notes(q=token, created_by=owner + "-nobody") == []


@pytest.mark.rule("LIST-8")
def test_q_matches_non_ascii_letters_case_insensitively(api: Api, owner: str) -> None:
    token = unique("t")
    note = api.create(note_payload(owner, title=f"{token} \u00c4RGER \u00c9T\u00c9"))
    assert api.all_notes(created_by=owner, q="\u00e4rger") == [note]
    assert api.all_notes(created_by=owner, q="\u00e9t\u00e9") == [note]


@pytest.mark.rule("LIST-8")
@pytest.mark.parametrize(
    ("literal", "decoy"),
    [
        ("100%", "100 percent"),
        ("a_b", "axb"),
        ("back\\slash", "backslash"),
        ("%", "none"),
        ("_", "x"),
        ("\\", "/"),
        ("\\%", "\\x"),
        ("%_\\", "a\\b"),
    ],
)
def test_q_treats_like_wildcards_as_literal_characters(
    api: Api, owner: str, literal: str, decoy: str
) -> None:
    match = api.create(note_payload(owner, title=f"<{literal}>"))
    api.create(note_payload(owner, title=f"<{decoy}>"))
    assert api.all_notes(created_by=owner, q=literal) == [match]
    assert api.all_notes(created_by=owner, q=f"<{literal}>") == [match]


@pytest.mark.rule("LIST-9", "LIST-10")
def test_filters_combine(api: Api, owner: str, sortable: list[JsonObject]) -> None:
    expected = [note for note in sortable if note["priority"] == 2 and "b" in note["title"].lower()]
    assert expected
    assert api.all_notes(created_by=owner, priority=2, q="B", sort="-title") == sorted(
        expected, key=lambda note: note["title"], reverse=True
    )


@pytest.mark.rule("LIST-19")
def test_unknown_query_parameters_are_ignored(
    api: Api, owner: str, sortable: list[JsonObject]
) -> None:
    assert api.all_notes(created_by=owner, colour="red", page=7, Limit=0, SORT="x") == sortable


@pytest.mark.rule("LIST-21")
def test_an_empty_created_by_matches_nothing(api: Api, owner: str) -> None:
    api.create(note_payload(owner))
    response = api.get("/notes", params={"created_by": ""})
    if response.status_code == 422:
        assert_problem(response, 422, field="created_by")
    else:
        assert response.status_code == 200
        assert response.json()["notes"] == []


@pytest.mark.rule("LIST-21")
@pytest.mark.parametrize("value", ["\u0000", "a\u0000b"])
@pytest.mark.parametrize("name", ["q", "created_by"])
def test_nul_in_a_string_filter_never_fails_the_server(api: Api, name: str, value: str) -> None:
    response = api.get("/notes", params={name: value})
    if response.status_code == 422:
        assert_problem(response, 422, field=name)
    else:
        assert response.status_code == 200
        assert response.json()["notes"] == []


@pytest.mark.rule("LIST-20")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sort", "colour"),
        ("sort", ""),
        ("sort", "--id"),
        ("sort", "+id"),
        ("sort", "ID"),
        ("sort", "id,title"),
        ("sort", "description"),
        ("sort", "created_by"),
        ("priority", "abc"),
        ("priority", "1.5"),
        ("priority", "true"),
        ("priority", ""),
    ],
)
def test_bad_values_of_known_parameters_are_422(api: Api, name: str, value: str) -> None:
    assert_problem(api.get("/notes", params={name: value}), 422, field=name)
