"""ETags and conditional requests: If-None-Match on reads, If-Match on writes."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import requests

from notes_conformance.checks.support import (
    Api,
    JsonObject,
    assert_note_response,
    assert_problem,
    assert_strong_etag,
    note_payload,
)


@pytest.fixture
def note_and_etag(api: Api, owner: str) -> tuple[JsonObject, str]:
    response = api.send_json("POST", "/notes", note_payload(owner, description="original"))
    assert response.status_code == 201
    return response.json(), assert_strong_etag(response.headers.get("ETag"))


@pytest.mark.rule("COND-1", "COND-2", "COND-3")
def test_every_success_carries_the_current_strong_etag(api: Api, owner: str) -> None:
    post = api.send_json("POST", "/notes", note_payload(owner))
    note_id = post.json()["id"]
    path = f"/notes/{note_id}"
    etags = [assert_strong_etag(post.headers.get("ETag"))]
    assert api.etag(note_id) == etags[-1]
    put = api.send_json("PUT", path, note_payload(owner, title="put"))
    etags.append(assert_strong_etag(put.headers.get("ETag")))
    assert api.etag(note_id) == etags[-1]
    patch = api.send_json("PATCH", path, {"title": "patched"})
    etags.append(assert_strong_etag(patch.headers.get("ETag")))
    assert api.etag(note_id) == etags[-1]
    assert len(set(etags)) == 3


@pytest.mark.rule("COND-3")
def test_changing_one_note_leaves_the_etag_of_another_alone(
    api: Api, owner: str, note_and_etag: tuple[JsonObject, str]
) -> None:
    note, etag = note_and_etag
    other = api.create(note_payload(owner))
    assert api.send_json("PATCH", f"/notes/{other['id']}", {"title": "moved"}).status_code == 200
    assert api.delete(f"/notes/{other['id']}").status_code == 204
    api.create(note_payload(owner))
    assert api.etag(note["id"]) == etag


@pytest.mark.rule("COND-5")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    "header",
    ["{etag}", '"no-such-tag", {etag}', "W/{etag}", "*"],
    ids=["exact", "in-a-list", "weak-form", "star"],
)
def test_if_none_match_that_matches_is_304_without_a_body(
    api: Api, note_and_etag: tuple[JsonObject, str], method: str, header: str
) -> None:
    note, etag = note_and_etag
    response = api.request(
        method, f"/notes/{note['id']}", headers={"If-None-Match": header.format(etag=etag)}
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers.get("ETag") == etag


@pytest.mark.rule("COND-6")
@pytest.mark.parametrize("header", ['"stale"', 'W/"stale", "other"'])
def test_if_none_match_that_does_not_match_is_200(
    api: Api, note_and_etag: tuple[JsonObject, str], header: str
) -> None:
    note, etag = note_and_etag
    response = api.get(f"/notes/{note['id']}", headers={"If-None-Match": header})
    assert assert_note_response(response) == note
    assert response.headers["ETag"] == etag


@pytest.mark.rule("COND-3", "COND-6")
def test_an_old_etag_no_longer_matches_after_a_change(
    api: Api, note_and_etag: tuple[JsonObject, str]
) -> None:
    note, etag = note_and_etag
    assert api.send_json("PATCH", f"/notes/{note['id']}", {"priority": 9}).status_code == 200
    response = api.get(f"/notes/{note['id']}", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.json()["priority"] == 9


def _write(api: Api, method: str, note_id: int, owner: str, if_match: str) -> requests.Response:
    headers = {"If-Match": if_match}
    path = f"/notes/{note_id}"
    if method == "PUT":
        return api.send_json(method, path, note_payload(owner, title="new"), headers=headers)
    if method == "PATCH":
        return api.send_json(method, path, {"title": "new"}, headers=headers)
    return api.request(method, path, headers=headers)


@pytest.mark.rule("COND-2", "COND-8")
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "header",
    ['"stale"', "W/{etag}", '"a", "b"'],
    ids=["stale", "weak-never-matches", "list-without-it"],
)
def test_if_match_mismatch_is_412_and_changes_nothing(
    api: Api, owner: str, note_and_etag: tuple[JsonObject, str], method: str, header: str
) -> None:
    note, etag = note_and_etag
    response = _write(api, method, note["id"], owner, header.format(etag=etag))
    assert_problem(response, 412)
    read = api.read(note["id"])
    assert read.json() == note
    assert read.headers["ETag"] == etag


@pytest.mark.rule("COND-8")
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_stale_etag_from_before_a_change_is_412(
    api: Api, owner: str, note_and_etag: tuple[JsonObject, str], method: str
) -> None:
    note, old_etag = note_and_etag
    patched = api.send_json("PATCH", f"/notes/{note['id']}", {"description": "changed"})
    assert patched.status_code == 200
    response = _write(api, method, note["id"], owner, old_etag)
    assert_problem(response, 412)
    assert api.read(note["id"]).json() == patched.json()


@pytest.mark.rule("COND-7")
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("header", ["{etag}", '"other", {etag}', "*"])
def test_if_match_that_matches_lets_the_write_through(
    api: Api, owner: str, note_and_etag: tuple[JsonObject, str], method: str, header: str
) -> None:
    note, etag = note_and_etag
    response = _write(api, method, note["id"], owner, header.format(etag=etag))
    expected = 204 if method == "DELETE" else 200
    assert response.status_code == expected
    if method == "DELETE":
        assert_problem(api.read(note["id"]), 404)
    else:
        assert api.read(note["id"]).json()["title"] == "new"


@pytest.mark.rule("COND-9")
async def test_if_match_is_atomic_under_concurrent_writers(
    api: Api, note_and_etag: tuple[JsonObject, str]
) -> None:
    """Twenty writers holding the same ETag: exactly one wins, the others get 412."""
    note, etag = note_and_etag
    url = api.url(f"/notes/{note['id']}")
    async with aiohttp.ClientSession() as session:

        async def patch(index: int) -> tuple[int, str]:
            async with session.patch(
                url, json={"title": f"writer {index}"}, headers={"If-Match": etag}
            ) as response:
                await response.read()
                return response.status, response.headers.get("ETag", "")

        results = await asyncio.gather(*(patch(index) for index in range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [412] * 19
    winner = next(tag for status, tag in results if status == 200)
    assert api.etag(note["id"]) == winner


@pytest.mark.rule("CRUD-14", "COND-3", "RES-9")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "another title"),
        ("description", "another description"),
        ("created_by", "another owner"),
        ("priority", -7),
        ("created_at", "2001-02-03T04:05:06.000007Z"),
    ],
)
def test_a_change_of_any_one_field_changes_the_etag_and_updated_at(
    api: Api, note_and_etag: tuple[JsonObject, str], field: str, value: object
) -> None:
    note, etag = note_and_etag
    response = api.send_json("PATCH", f"/notes/{note['id']}", {field: value})
    changed = assert_note_response(response)
    assert changed[field] == value
    assert response.headers["ETag"] != etag
    assert changed["updated_at"] != note["updated_at"]
    assert api.etag(note["id"]) == response.headers["ETag"]
    stale = api.get(f"/notes/{note['id']}", headers={"If-None-Match": etag})
    assert stale.status_code == 200


@pytest.mark.rule("COND-10")
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_if_match_on_an_id_that_names_no_note_never_succeeds(
    api: Api, owner: str, note_and_etag: tuple[JsonObject, str], method: str
) -> None:
    note, etag = note_and_etag
    assert api.delete(f"/notes/{note['id']}").status_code == 204
    for header in ("*", etag):
        response = _write(api, method, note["id"], owner, header)
        assert response.status_code in {404, 412}, response.text
        assert_problem(response, response.status_code)
    assert_problem(api.read(note["id"]), 404)
    assert api.all_notes(created_by=owner) == []
