"""v1.1, tokens: what a /notes request without a valid token gets, and what stays public.

Runs against a server in token mode: ours, started by tests/api/tokens.py, or any
given with ``--base-url URL --token A --token B``.
"""

from __future__ import annotations

import pytest

from notes_conformance.checks.support import assert_problem, note_payload, unique
from notes_conformance.checks.tokens import Users, bearer

UNKNOWN = "notes_" + "A" * 43


def _wrong_authorizations(users: Users) -> list[list[tuple[str, str]]]:
    good = users.tokens[0]
    values = [
        f"Bearer {UNKNOWN}",
        "Bearer",
        "Bearer ",
        f"Basic {good}",
        f"Bearer {good} {good}",
        f"Bearer {good[:-1]}",
        f"Bearer {good}x",
        f"Token {good}",
        good,
        "Bearer " + "x" * 4000,
    ]
    return [[("Authorization", value)] for value in values]


@pytest.mark.rule("AUTH-3")
def test_every_notes_request_without_a_valid_token_is_the_same_401(v11_users: Users) -> None:
    """Each kind of wrong token once (a server may count them: AUTH-5), no token on
    every operation."""
    anonymous = v11_users.anonymous()
    asked = [("GET", "/notes/1", headers) for headers in _wrong_authorizations(v11_users)]
    asked += [
        (method, path, [])
        for method, path in (
            ("GET", "/notes"),
            ("POST", "/notes"),
            ("GET", "/notes/1"),
            ("PUT", "/notes/1"),
            ("PATCH", "/notes/1"),
            ("DELETE", "/notes/1"),
        )
    ]
    bodies = set()
    for method, path, headers in asked:
        response = anonymous.request(method, path, headers=dict(headers), json={"title": "t"})
        problem = assert_problem(response, 401)
        challenge = response.headers.get("WWW-Authenticate", "")
        assert challenge.lower().startswith("bearer"), challenge
        bodies.add((problem["title"], problem["detail"], challenge))
    assert len(bodies) == 1, bodies


@pytest.mark.rule("AUTH-3")
def test_a_head_without_a_token_is_401_with_no_body(v11_users: Users) -> None:
    response = v11_users.anonymous().head("/notes/1")
    assert response.status_code == 401
    assert response.content == b""


@pytest.mark.rule("AUTH-3")
def test_nothing_is_created_without_a_token(v11_users: Users) -> None:
    title = unique("no-token")
    response = v11_users.anonymous().send_json("POST", "/notes", note_payload("x", title=title))
    assert_problem(response, 401)
    assert v11_users.a.all_notes(q=title) == []


@pytest.mark.rule("AUTH-4")
def test_health_openapi_and_docs_need_no_token(v11_users: Users) -> None:
    anonymous = v11_users.anonymous()
    for path in ("/health", "/openapi.json", "/docs"):
        response = anonymous.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
    assert anonymous.get("/health").json() == {"status": "ok"}


@pytest.mark.rule("AUTH-7")
def test_the_scheme_name_is_case_insensitive(v11_users: Users) -> None:
    anonymous = v11_users.anonymous()
    for scheme in ("bearer", "BEARER", "bEaReR"):
        headers = {"Authorization": f"{scheme} {v11_users.tokens[0]}"}
        assert anonymous.get("/notes?limit=1", headers=headers).status_code == 200


@pytest.mark.rule("DOC-15")
def test_the_document_declares_the_bearer_scheme(v11_users: Users) -> None:
    document = v11_users.anonymous().get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    bearer_schemes = [
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
    ]
    assert bearer_schemes, schemes
    global_security = document.get("security")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "head", "post", "put", "patch", "delete"}:
                continue
            security = operation.get("security", global_security)
            names = {name for requirement in security or [] for name in requirement}
            if path.startswith("/notes"):
                assert names & set(bearer_schemes), f"{method} {path}: {security}"
                assert {"401", "429"} <= set(operation["responses"]), f"{method} {path}"
            else:
                assert not security or {} in security, f"{method} {path} must stay public"


@pytest.mark.rule("AUTH-3")
def test_a_token_is_one_users_everywhere(v11_users: Users) -> None:
    """The same token, sent by a fresh client, acts for the same user."""
    created = v11_users.a.create({"title": unique("who")})
    again = v11_users.anonymous().get(
        f"/notes/{created['id']}", headers=bearer(v11_users.tokens[0])
    )
    assert again.status_code == 200
    assert again.json()["created_by"] == created["created_by"]
