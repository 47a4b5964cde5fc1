"""Idempotency keys (v1.1, IDEM) as a state machine: a client that loses answers, or cuts
its own requests short, and retries with the same key. The model says exactly which
notes exist once every retry is answered: none duplicated, none lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.property.budget import server_settings
from tests.property.checks import walk
from tests.property.service import LiveService, Reply

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
bodies = st.fixed_dictionaries(
    {
        "description": st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=20),
        "priority": st.integers(-5, 5),
    },
)


class LossyClient(RuleBasedStateMachine):
    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.service = LiveService(database_url)
        self.sent = 0
        # key -> (body, the note as answered); key -> body sent, answer never seen
        self.confirmed: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.pending: dict[str, dict[str, Any]] = {}

    def _post(self, key: str, body: dict[str, Any]) -> Reply:
        return self.service.request("POST", "/notes", json_body=body, headers={KEY: key})

    def _answered(self, key: str, body: dict[str, Any], reply: Reply) -> None:
        assert reply.status == 201, str(reply)
        note = reply.json()
        assert note["title"] == key, "the answer is another key's note"
        known = self.confirmed.get(key)
        if known is not None:
            assert reply.headers[REPLAYED] == "true"
            assert note == known[1], "a repeat's answer differs from the first"
        self.confirmed[key] = (body, note)
        self.pending.pop(key, None)

    @rule(body=bodies, fate=st.sampled_from(["answered", "lost", "cut"]), cut=st.floats(0, 0.02))
    def create(self, body: dict[str, Any], fate: str, cut: float) -> None:
        self.sent += 1
        key = f"k{self.sent}"
        full = {**body, "title": key, "created_by": "lossy"}
        if fate == "cut":
            # Cut or not, its answer is not read: the model's state must not depend on
            # timing (Hypothesis replays examples), only the server's may.
            self.service.request_cut("/notes", json_body=full, headers={KEY: key}, after=cut)
            self.pending[key] = full
            return
        reply = self._post(key, full)
        if fate == "lost":  # answered, but the answer never reached the client
            assert reply.status == 201, str(reply)
            self.pending[key] = full
            return
        self._answered(key, full, reply)

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.pending)))
        self._answered(key, self.pending[key], self._post(key, self.pending[key]))

    @precondition(lambda self: self.confirmed)
    @rule(data=st.data())
    def repeat(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.confirmed)))
        body = self.confirmed[key][0]
        self._answered(key, body, self._post(key, body))

    @precondition(lambda self: self.confirmed)
    @rule(data=st.data(), priority=st.integers(6, 9))
    def reuse_with_another_body(self, data: st.DataObject, priority: int) -> None:
        key = data.draw(st.sampled_from(sorted(self.confirmed)))
        reply = self._post(key, {**self.confirmed[key][0], "priority": priority})
        assert reply.status == 422, str(reply)

    def _titles(self) -> list[str]:
        expected = len(self.confirmed) + len(self.pending)
        notes = walk(self.service, [], limit=100, expected=expected)
        return [note["title"] for note in notes]

    @invariant()
    def none_duplicated_none_lost(self) -> None:
        titles = self._titles()
        assert len(titles) == len(set(titles)), "a key made two notes"
        assert set(self.confirmed) <= set(titles), "an answered create's note is gone"
        assert set(titles) <= set(self.confirmed) | set(self.pending), "a note nobody sent"

    def teardown(self) -> None:
        try:
            for key, body in list(self.pending.items()):
                self._answered(key, body, self._post(key, body))
            titles = self._titles()
            assert sorted(titles) == sorted(self.confirmed), "after every retry: one note a key"
        finally:
            self.service.close()


def test_a_lossy_client_that_retries_makes_each_note_once(
    make_database_url: Callable[[], str],
) -> None:
    class OnFreshDatabase(LossyClient):
        def __init__(self) -> None:
            super().__init__(make_database_url())

    run_state_machine_as_test(OnFreshDatabase, settings=server_settings(0.25))
