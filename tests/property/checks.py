"""Assertions about replies that every property shares, and the walk over a listing's pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from yarl import URL

from tests.property.model import KEY_ORDER
from tests.property.service import LiveService, Params, Reply

_NEXT_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


def assert_problem(reply: Reply, status: int) -> None:
    """An error reply: the status, and an RFC 9457 problem+json body that agrees with it."""
    assert reply.status == status, f"expected {status}: {reply}"
    if reply.method == "HEAD":
        assert reply.body == b"", f"HEAD answered with a body: {reply}"
        return
    assert reply.content_type == "application/problem+json", f"not problem+json: {reply}"
    problem = reply.json()
    assert {"type", "title", "status", "detail"} <= problem.keys(), f"not RFC 9457: {reply}"
    assert problem["status"] == status, f"problem status disagrees with the reply: {reply}"


def assert_note_reply(reply: Reply, status: int = 200) -> dict[str, Any]:
    """A reply carrying one note: its JSON, checked to have exactly the contract's keys."""
    assert reply.status == status, f"expected {status}: {reply}"
    assert reply.content_type == "application/json", f"not JSON: {reply}"
    note = reply.json()
    assert isinstance(note, dict), f"not an object: {reply}"
    assert tuple(note) == KEY_ORDER, f"keys {tuple(note)} are not {KEY_ORDER}"
    return note


def pages(
    service: LiveService, params: Params, *, limit: int, max_pages: int, stable: bool = True
) -> Iterator[list[dict[str, Any]]]:
    """Yield each page of ``GET /notes?params``, following ``next`` to the end.

    Checks what holds for every page: at most ``limit`` notes, only the last page short,
    ``next`` present exactly when more notes follow, the ``Link`` header agreeing with
    ``next``; and, when nothing changes between fetches (``stable``), no page but the first
    is empty. The caller compares contents.
    """
    reply = service.request("GET", "/notes", params=params)
    for number in range(1, max_pages + 1):
        assert reply.status == 200, f"page {number}: {reply}"
        assert reply.content_type == "application/json", f"page {number}: {reply}"
        page = reply.json()
        assert isinstance(page, dict), f"page {number} is not an object: {reply}"
        assert set(page) == {"notes", "next"}, f"page {number} keys: {sorted(page)}"
        notes = page["notes"]
        next_url = page["next"]
        assert isinstance(notes, list), f"page {number}: notes is not a list"
        assert len(notes) <= limit, f"page {number} holds {len(notes)} notes, limit {limit}"
        link = reply.headers.get("Link")
        if next_url is None:
            assert link is None or not _NEXT_LINK.search(link), f"Link without next: {link}"
            if stable:
                assert notes or number == 1, f"page {number} is empty: the one before was last"
            yield notes
            return
        assert isinstance(next_url, str), f"page {number}: next is {next_url!r}"
        assert len(notes) == limit, f"page {number} has next but only {len(notes)} notes"
        assert link is not None, f"page {number} has next but no Link header"
        match = _NEXT_LINK.search(link)
        assert match, f"page {number}: Link {link!r} has no rel=next"
        here = URL(reply.url)
        assert here.join(URL(match[1])) == here.join(URL(next_url)), (
            f"Link {link!r} disagrees with next {next_url!r}"
        )
        yield notes
        reply = service.request("GET", here.join(URL(next_url)))
    raise AssertionError(f"next still set after {max_pages} pages: the walk does not end")


def walk(service: LiveService, params: Params, *, limit: int, expected: int) -> list[Any]:
    """Every note of a listing, all pages concatenated."""
    max_pages = max(expected, 0) // limit + 2
    return [
        note for page in pages(service, params, limit=limit, max_pages=max_pages) for note in page
    ]
