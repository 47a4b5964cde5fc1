"""One Idempotency-Key raced from every process of a PostgreSQL deployment: one note.

The cluster's four processes (two single servers, one of two workers) each get several
connections sending the same key and body at once, round after round with a new key.
Every answer is the 201 of that one note (v1.1, IDEM-5, IDEM-6); exactly one answer a
round is not marked as a replay, and the database holds one note a key.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.scaleout.client import http_session, unique, walk
from tests.scaleout.conftest import Cluster

pytestmark = pytest.mark.postgres

ROUNDS = 15
CONNECTIONS_PER_SERVER = 4


@pytest.mark.rule("IDEM-5", "IDEM-6")
async def test_a_key_raced_from_every_process_makes_one_note(cluster: Cluster) -> None:
    owner = unique("idem")
    for round_ in range(ROUNDS):
        key = unique(f"race-{round_}")
        body = {"title": key, "created_by": owner}

        async def send(
            base_url: str, body: dict[str, str] = body, key: str = key
        ) -> tuple[int, dict[str, object], str | None]:
            async with (
                http_session(fresh_connections=True) as session,
                session.post(
                    f"{base_url}/notes", json=body, headers={"Idempotency-Key": key}
                ) as response,
            ):
                note = await response.json()
                return response.status, note, response.headers.get("Idempotent-Replayed")

        answers = await asyncio.gather(
            *(send(url) for url in cluster.urls for _ in range(CONNECTIONS_PER_SERVER))
        )
        assert {status for status, _, _ in answers} == {201}, answers
        assert len({str(note["id"]) for _, note, _ in answers}) == 1, answers
        assert sum(replayed is None for _, _, replayed in answers) == 1, answers
    async with http_session() as session:
        notes = await walk(
            session, cluster.urls[0], {"created_by": owner, "limit": "100"}, max_pages=2
        )
    assert len(notes) == ROUNDS
