"""Every error is an RFC 9457 problem; nothing a client sends leaks internals or causes a 500."""

from __future__ import annotations

import pytest

from notes_conformance.checks.support import Api, assert_problem, note_payload


@pytest.mark.rule("ERR-1", "ERR-2", "ERR-7")
@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/notes/0", {}, 404),
        ("GET", "/nowhere", {}, 404),
        ("GET", "/notes?limit=0", {}, 422),
        ("POST", "/notes", {"data": b"{"}, 400),
        ("POST", "/notes", {"data": b"{}", "headers": {"Content-Type": "text/plain"}}, 415),
        ("POST", "/notes", {"json": {}}, 422),
        ("DELETE", "/notes", {}, 405),
        ("PUT", "/notes/0", {"json": {"title": "t", "created_by": "c"}}, 404),
    ],
)
def test_errors_are_problems(
    api: Api, method: str, path: str, kwargs: dict[str, object], status: int
) -> None:
    problem = assert_problem(api.request(method, path, **kwargs), status)
    assert problem["title"]
    assert problem["detail"]


@pytest.mark.rule("ERR-3", "ERR-4", "ERR-8")
def test_a_422_lists_one_error_per_problem_with_field_and_message(api: Api, owner: str) -> None:
    payload = {"title": "x" * 201, "description": 7, "created_by": "", "priority": 2**31, "id": 1}
    problem = assert_problem(api.send_json("POST", "/notes", payload), 422)
    named = {
        name
        for name in ("title", "description", "created_by", "priority", "id")
        for error in problem["errors"]
        if name in error["field"] or name in error["message"]
    }
    assert named == {"title", "description", "created_by", "priority", "id"}
    assert len(problem["errors"]) == 5
    assert api.all_notes(created_by=owner) == []


@pytest.mark.rule("ERR-6")
def test_a_body_members_field_is_dollar_dot_its_name(api: Api, owner: str) -> None:
    payload = note_payload(owner, title="", created_at="yesterday")
    problem = assert_problem(api.send_json("POST", "/notes", payload), 422)
    assert {error["field"] for error in problem["errors"]} == {"$.title", "$.created_at"}


@pytest.mark.rule("ERR-5", "VAL-1", "VAL-4")
def test_a_missing_field_is_named(api: Api) -> None:
    problem = assert_problem(api.send_json("POST", "/notes", {}), 422)
    fields = " ".join(error["field"] for error in problem["errors"])
    assert "title" in fields
    assert "created_by" in fields


@pytest.mark.rule("RES-5", "LIST-6", "LIST-8", "ERR-9")
@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE notes; --",
        '" OR 1=1 --',
        "%' OR '1'='1",
        "\U0010ffff\ufeff\u202e",
        "\ud7ff\ue000",
        "<script>alert(1)</script>",
    ],
)
def test_hostile_strings_are_just_data(api: Api, owner: str, text: str) -> None:
    note = api.create(note_payload(owner, title=text, description=text))
    assert note["title"] == text
    assert api.all_notes(created_by=owner, q=text) == [note]
    response = api.get("/notes", params={"created_by": text, "q": text, "sort": "title"})
    assert response.status_code == 200
