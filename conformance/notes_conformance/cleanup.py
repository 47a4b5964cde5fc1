"""Deleting what a run made: the notes it created, or (``--exclusive``) every note."""

from __future__ import annotations

import contextlib
import sys
from urllib.parse import urljoin

import requests

from notes_conformance.recording import Recorder
from notes_conformance.tls import tls_verify

TIMEOUT = 10.0
# A walk of GET /notes that never ends (a server whose cursors loop) stops here.
MAX_PAGES = 10_000


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = tls_verify()
    return session


def delete_created(recorder: Recorder) -> None:
    """Delete every note the run created, with the credentials that created it. What
    cannot be deleted (the server is gone, a check revoked the token) is said, once."""
    left: list[str] = []
    with _session() as session:
        for note in list(recorder.created.values()):
            headers = {} if note.authorization is None else {"Authorization": note.authorization}
            try:
                response = session.delete(note.url, headers=headers, timeout=TIMEOUT)
            except requests.RequestException:
                left.append(note.url)
                continue
            if response.status_code in (200, 202, 204, 404, 410):
                recorder.forget(note.url)
            else:
                left.append(note.url)
    if left:
        print(
            f"\nnotes-conformance: {len(left)} of the notes this run created could not be "
            f"deleted (created_by starts with {recorder.mark!r}), e.g. {left[0]}",
            file=sys.stderr,
        )


def sweep_marked(base_url: str, recorder: Recorder) -> None:
    """Delete the notes carrying the run's mark that no recorded request created (a
    check's own HTTP client): newest first (`sort=-id`), down to the newest id from
    before the run, since ids only grow (RES-4)."""
    before = recorder.newest_before
    if before is None:
        return
    with _session() as session:
        url: str | None = f"{base_url}/notes?sort=-id&limit=100"
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = session.get(url, timeout=TIMEOUT)
            if response.status_code != 200:
                return
            page = response.json()
            for note in page.get("notes") or []:
                if note["id"] <= before:
                    return
                if str(note.get("created_by", "")).startswith(recorder.mark):
                    with contextlib.suppress(requests.RequestException):
                        session.delete(f"{base_url}/notes/{note['id']}", timeout=TIMEOUT)
            url = urljoin(f"{base_url}/", page["next"]) if page.get("next") else None


def newest_id(base_url: str) -> int | None:
    """The newest note's id on the target (0 when it holds none), if it lists them."""
    failures = (requests.RequestException, ValueError, KeyError, TypeError)
    with contextlib.suppress(*failures), _session() as session:
        response = session.get(f"{base_url}/notes?sort=-id&limit=1", timeout=TIMEOUT)
        if response.status_code == 200:
            notes = response.json()["notes"]
            return int(notes[0]["id"]) if notes else 0
    return None


def delete_every_note(base_url: str) -> None:
    """Empty the target (``--exclusive`` only): delete every note GET /notes lists."""
    seen: set[object] = set()
    with _session() as session:
        for _ in range(MAX_PAGES):
            response = session.get(f"{base_url}/notes", params={"limit": 100}, timeout=TIMEOUT)
            response.raise_for_status()
            notes = response.json().get("notes") or []
            if not notes:
                return
            if seen & {note["id"] for note in notes}:
                raise RuntimeError(f"--exclusive: the notes of {base_url} could not be deleted")
            seen.update(note["id"] for note in notes)
            for note in notes:
                with contextlib.suppress(requests.RequestException):
                    session.delete(urljoin(f"{base_url}/", f"notes/{note['id']}"), timeout=TIMEOUT)
