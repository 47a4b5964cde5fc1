"""Keyset pagination: `next`, the Link header, limits, cursors, and stability under writes."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from notes_conformance.checks.support import (
    Api,
    JsonObject,
    assert_problem,
    create_many,
    note_payload,
)


def next_link(response: requests.Response) -> str | None:
    link = response.links.get("next")
    return None if link is None else urljoin(response.url, link["url"])


@pytest.fixture
def seven(api: Api, owner: str) -> list[JsonObject]:
    return [api.create(note_payload(owner, title=f"note {index}")) for index in range(7)]


@pytest.mark.rule("LIST-4", "LIST-11", "LIST-12", "LIST-13", "LIST-15")
@pytest.mark.parametrize("limit", [1, 2, 3, 6, 7, 8, 1000])
def test_following_next_visits_every_note_once_in_order(
    api: Api, owner: str, seven: list[JsonObject], limit: int
) -> None:
    pages = list(api.walk(created_by=owner, limit=limit))
    assert [note for page in pages for note in page] == seven
    expected_sizes = [limit] * (7 // limit) + ([7 % limit] if 7 % limit else [])
    assert [len(page) for page in pages] == expected_sizes


@pytest.mark.rule("LIST-12", "LIST-13", "LIST-17")
def test_next_and_link_agree_and_keep_the_parameters(
    api: Api, owner: str, seven: list[JsonObject]
) -> None:
    response = api.list_page("/notes", created_by=owner, limit=3, sort="-id")
    body = response.json()
    assert body["next"] is not None
    next_url = urljoin(response.url, body["next"])
    assert next_link(response) == next_url
    second = api.list_page(next_url)
    assert [note["id"] for note in second.json()["notes"]] == [
        note["id"] for note in reversed(seven)
    ][3:6]
    third = api.list_page(urljoin(second.url, second.json()["next"]))
    last = third.json()
    assert last["notes"] == [seven[0]]
    assert last["next"] is None
    assert next_link(third) is None


@pytest.mark.rule("LIST-18")
def test_the_link_field_is_written_as_v1_shows(api: Api, owner: str) -> None:
    for _ in range(2):
        api.create(note_payload(owner))
    response = api.list_page("/notes", created_by=owner, limit=1)
    assert response.headers["Link"] == f'<{response.json()["next"]}>; rel="next"'


@pytest.mark.rule("LIST-12", "LIST-17")
def test_a_single_page_has_no_next_and_no_link(api: Api, owner: str) -> None:
    api.create(note_payload(owner))
    response = api.list_page("/notes", created_by=owner)
    assert response.json()["next"] is None
    assert "next" not in response.links


@pytest.mark.rule("LIST-1", "LIST-12")
@pytest.mark.fresh_database
def test_an_empty_database_lists_nothing(api: Api) -> None:
    response = api.list_page("/notes")
    assert response.json() == {"notes": [], "next": None}
    assert "next" not in response.links


@pytest.mark.rule("LIST-12")
def test_an_empty_result_has_no_next(api: Api, owner: str) -> None:
    response = api.list_page("/notes", created_by=owner)
    assert response.json() == {"notes": [], "next": None}


@pytest.mark.rule("LIST-3")
def test_the_default_page_size_is_100(api: Api, owner: str) -> None:
    created = create_many(api, [note_payload(owner, title=f"n{i}") for i in range(101)])
    first = api.list_page("/notes", created_by=owner).json()
    assert len(first["notes"]) == 100
    assert first["next"] is not None
    assert api.all_notes(created_by=owner) == sorted(created, key=lambda note: note["id"])


@pytest.mark.rule("LIST-3")
@pytest.mark.parametrize("limit", ["1", "2", "1000"])
def test_limits_in_range_are_accepted(api: Api, owner: str, limit: str) -> None:
    api.create(note_payload(owner))
    api.create(note_payload(owner))
    body = api.list_page("/notes", created_by=owner, limit=limit).json()
    assert len(body["notes"]) == min(int(limit), 2)


@pytest.mark.rule("LIST-20")
@pytest.mark.parametrize("limit", ["0", "1001", "-1", "abc", "1.5", "", "99999999999999999999"])
def test_limits_out_of_range_are_422(api: Api, limit: str) -> None:
    assert_problem(api.get("/notes", params={"limit": limit}), 422, field="limit")


def _real_cursor(api: Api, owner: str, **params: object) -> str:
    for index in range(3):
        api.create(note_payload(owner, title=f"c{index}"))
    body = api.list_page("/notes", created_by=owner, limit=1, **params).json()
    assert body["next"] is not None
    cursors: list[str] | None = parse_qs(urlsplit(body["next"]).query).get("cursor")
    assert cursors, body["next"]
    return cursors[0]


@pytest.mark.rule("LIST-22")
def test_forged_cursors_are_422(api: Api, owner: str) -> None:
    cursor = _real_cursor(api, owner)
    forged = [
        "not-a-cursor",
        "!!!",
        base64.urlsafe_b64encode(b"garbage").decode(),
        base64.urlsafe_b64encode(b'{"id": 1}').decode(),
        cursor[: len(cursor) // 2],
        cursor + "x",
        "\u00e9",
    ]
    for value in forged:
        response = api.get("/notes", params={"created_by": owner, "cursor": value})
        assert_problem(response, 422, field="cursor")


@pytest.mark.rule("LIST-22", "ERR-9")
def test_a_tampered_cursor_never_fails_the_server(api: Api, owner: str) -> None:
    """A cursor changed in any one character is refused (422) or read as some position.

    The contract calls the cursor opaque and a forged one 422, but an unsigned cursor that
    still decodes is indistinguishable from a real one; what must never happen is a 500.
    """
    cursor = _real_cursor(api, owner)
    for index in range(len(cursor)):
        for replacement in {"A", "_", "9"} - {cursor[index]}:
            tampered = cursor[:index] + replacement + cursor[index + 1 :]
            response = api.get("/notes", params={"created_by": owner, "cursor": tampered})
            if response.status_code == 422:
                assert_problem(response, 422, field="cursor")
            else:
                assert response.status_code == 200, response.text


@pytest.mark.rule("LIST-22", "ERR-9")
@pytest.mark.parametrize(("made_for", "used_with"), [("title", "priority"), ("-created_at", "id")])
def test_a_cursor_from_another_sort_never_fails_the_server(
    api: Api, owner: str, made_for: str, used_with: str
) -> None:
    cursor = _real_cursor(api, owner, sort=made_for)
    response = api.get("/notes", params={"created_by": owner, "cursor": cursor, "sort": used_with})
    if response.status_code == 422:
        assert_problem(response, 422)
    else:
        assert response.status_code == 200


@pytest.mark.rule("LIST-16")
@pytest.mark.parametrize("sort", ["id", "-id", "priority", "-priority", "title", "-updated_at"])
def test_pagination_is_stable_under_inserts_and_deletes(api: Api, owner: str, sort: str) -> None:
    """Notes present for the whole walk are seen exactly once, whatever changes meanwhile."""
    notes = [
        api.create(note_payload(owner, title=f"t{index % 4}", priority=index % 3))
        for index in range(12)
    ]
    doomed = {notes[1]["id"], notes[6]["id"], notes[10]["id"]}
    stable = {note["id"] for note in notes} - doomed
    seen: list[int] = []
    pages = api.walk(created_by=owner, sort=sort, limit=2)
    for step, page in enumerate(pages):
        seen.extend(note["id"] for note in page)
        if step < 4:
            # New notes that sort before, among and after the cursor, and deletions ahead of it.
            for title, priority in (("t0", 0), ("t2", 1), ("t9", 2)):
                api.create(note_payload(owner, title=title, priority=priority))
            victim = sorted(doomed)[step] if step < len(doomed) else None
            if victim is not None:
                assert api.delete(f"/notes/{victim}").status_code == 204
    assert len(seen) == len(set(seen)), f"a note was repeated: {seen}"
    assert stable <= set(seen), f"skipped: {stable - set(seen)}"


@pytest.mark.rule("LIST-14")
def test_next_is_an_absolute_url_on_the_origin_the_request_went_to(api: Api, owner: str) -> None:
    for _ in range(2):
        api.create(note_payload(owner))
    response = api.list_page("/notes", created_by=owner, limit=1)
    following = urlsplit(response.json()["next"])
    sent_to = urlsplit(response.url)
    assert (following.scheme, following.netloc) == (sent_to.scheme, sent_to.netloc)


@pytest.mark.rule("LIST-23")
@pytest.mark.parametrize(
    ("name", "values"),
    [("limit", ["1", "2"]), ("limit", ["5", "5"]), ("sort", ["id", "-id"]), ("q", ["a", "b"])],
)
def test_a_known_parameter_given_twice_is_422(api: Api, name: str, values: list[str]) -> None:
    response = api.get("/notes", params=[(name, value) for value in values])
    assert_problem(response, 422, field=name)
