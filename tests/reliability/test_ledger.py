"""The suite's own judge: the ledger check must see a lost, a stale and a phantom write."""

from __future__ import annotations

from tests.reliability.ledger import Ledger, Note, check


def _note(note_id: int, title: str) -> Note:
    return {"id": note_id, "title": title, "description": "", "created_by": "t", "priority": 0}


def test_check_passes_when_the_store_holds_what_was_acknowledged() -> None:
    ledger = Ledger()
    ledger.created(_note(1, "a"))
    ledger.created(_note(2, "b"))
    ledger.deleted(2)
    verdict = check(ledger, {1: _note(1, "a")})
    assert (verdict.acknowledged, verdict.present, verdict.lost) == (2, 2, [])


def test_check_sees_a_lost_a_stale_and_a_resurrected_note() -> None:
    ledger = Ledger()
    for note_id in (1, 2, 3):
        ledger.created(_note(note_id, "first"))
    ledger.replaced(2, _note(2, "second"))
    ledger.deleted(3)
    verdict = check(ledger, {2: _note(2, "first"), 3: _note(3, "first")})
    assert len(verdict.lost) == 3


def test_check_accepts_either_outcome_of_an_unanswered_write_but_no_phantom() -> None:
    ledger = Ledger()
    ledger.created(_note(1, "first"))
    ledger.pending[1] = {"title": "second"}
    ledger.pending_creates["maybe"] = {"title": "maybe"}
    assert not check(ledger, {1: _note(1, "first")}).lost
    landed = check(ledger, {1: _note(1, "second"), 2: _note(2, "maybe")})
    assert (landed.lost, landed.unexpected, landed.pending_landed) == ([], [], 2)
    phantom = check(ledger, {1: _note(1, "first"), 3: _note(3, "never sent")})
    assert len(phantom.unexpected) == 1
