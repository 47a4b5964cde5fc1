"""ETags and cursors across two processes of our server on one database (COND, LIST)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from notes.process import ServerProcess, notes_command
from notes.settings import Settings
from notes_conformance.checks.support import Api, note_payload


@pytest.fixture
def two_processes(
    start_server: Callable[[Settings], str], database_url: str, tmp_path: Path
) -> Iterator[list[str]]:
    """Two separate server processes on one fresh database."""
    start_server(Settings(database_url=database_url, access_log=False, auto_migrate=True))
    servers = [
        ServerProcess(notes_command(database_url), log_path=tmp_path / f"server-{index}.log")
        for index in range(2)
    ]
    try:
        yield [server.start().base_url for server in servers]
    finally:
        for server in servers:
            server.stop()


@pytest.mark.rule("COND-4")
@pytest.mark.fresh_database
def test_etags_and_cursors_are_the_same_whichever_process_answers(
    two_processes: list[str],
) -> None:
    first, second = (Api(url) for url in two_processes)
    try:
        post = first.send_json("POST", "/notes", note_payload("two-processes"))
        note = post.json()
        assert second.etag(note["id"]) == post.headers["ETag"]
        response = second.get(
            f"/notes/{note['id']}", headers={"If-None-Match": post.headers["ETag"]}
        )
        assert response.status_code == 304
        patched = second.send_json(
            "PATCH",
            f"/notes/{note['id']}",
            {"title": "x"},
            headers={"If-Match": post.headers["ETag"]},
        )
        assert patched.status_code == 200
        assert first.etag(note["id"]) == patched.headers["ETag"]
        for index in range(3):
            first.create(note_payload("two-processes", title=f"n{index}"))
        page = first.list_page("/notes", limit=2).json()
        assert page["next"] is not None
        # Ask the other process for the page, whatever host the first one wrote into `next`.
        next_url = urlsplit(page["next"])
        rest = second.list_page(f"{next_url.path}?{next_url.query}").json()
        ids = [n["id"] for n in page["notes"]] + [n["id"] for n in rest["notes"]]
        assert ids == sorted(ids)
        assert len(set(ids)) == 4
    finally:
        first.session.close()
        second.session.close()
