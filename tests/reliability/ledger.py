"""What the clients were told, and a check of the store against it.

Each note belongs to one writer, so its acknowledged state is simply the body of the
last 2xx its writer got. A write that got no answer (the server died, or answered
5xx) is *pending*: the store may hold it or not, both are correct.
"""

from __future__ import annotations

import collections
import dataclasses
import time
from typing import Any

Note = dict[str, Any]
WRITABLE = ("title", "description", "created_by", "priority")


def same_fields(stored: Note, sent: Note) -> bool:
    return all(stored.get(key) == sent[key] for key in WRITABLE if key in sent)


@dataclasses.dataclass
class Ledger:
    # id -> the body of the last acknowledged write (None: acknowledged DELETE)
    acked: dict[int, Note | None] = dataclasses.field(default_factory=dict)
    # id -> the fields of an unanswered PUT (None: an unanswered DELETE)
    pending: dict[int, Note | None] = dataclasses.field(default_factory=dict)
    # title -> the fields of an unanswered POST
    pending_creates: dict[str, Note] = dataclasses.field(default_factory=dict)
    statuses: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)
    # (time.monotonic() when the answer came, its status), for every answer
    answers: list[tuple[float, int]] = dataclasses.field(default_factory=list)
    acknowledged_writes: int = 0
    transport_errors: int = 0

    def answered(self, status: int) -> None:
        self.statuses[status] += 1
        self.answers.append((time.monotonic(), status))

    def created(self, body: Note) -> None:
        self.acked[int(body["id"])] = body
        self.pending_creates.pop(str(body["title"]), None)
        self.acknowledged_writes += 1

    def replaced(self, note_id: int, body: Note) -> None:
        self.acked[note_id] = body
        self.pending.pop(note_id, None)
        self.acknowledged_writes += 1

    def deleted(self, note_id: int) -> None:
        self.acked[note_id] = None
        self.pending.pop(note_id, None)
        self.acknowledged_writes += 1

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def settle(self, stored: dict[int, Note]) -> None:
        """After a check, the stored state of every note is the acknowledged one."""
        for note_id in list(self.pending):
            self.acked[note_id] = stored.get(note_id)
        self.pending.clear()
        titles = {str(note["title"]): note for note in stored.values()}
        for title in list(self.pending_creates):
            if title in titles:
                note = titles[title]
                self.acked[int(note["id"])] = note
        self.pending_creates.clear()


@dataclasses.dataclass
class Verdict:
    acknowledged: int = 0  # notes with an acknowledged state
    present: int = 0  # ... which the store holds exactly as acknowledged (deleted: absent)
    lost: list[str] = dataclasses.field(default_factory=list)
    pending: int = 0  # unanswered writes
    pending_landed: int = 0  # ... whose effect the store holds
    unexpected: list[str] = dataclasses.field(default_factory=list)


def check(ledger: Ledger, stored: dict[int, Note]) -> Verdict:
    verdict = Verdict(pending=len(ledger.pending) + len(ledger.pending_creates))
    for note_id, acked in ledger.acked.items():
        verdict.acknowledged += 1
        found = stored.get(note_id)
        if note_id in ledger.pending:
            sent = ledger.pending[note_id]
            if sent is None:
                landed = found is None
            else:
                landed = found is not None and same_fields(found, sent)
            if landed:
                verdict.present += 1
                verdict.pending_landed += 1
                continue
        if found == acked:
            verdict.present += 1
        else:
            verdict.lost.append(f"note {note_id}: acknowledged {acked!r}, stored {found!r}")
    for note_id, note in stored.items():
        if note_id in ledger.acked:
            continue
        sent = ledger.pending_creates.get(str(note["title"]))
        if sent is not None and same_fields(note, sent):
            verdict.pending_landed += 1
        else:
            verdict.unexpected.append(f"note {note_id} was never written: {note!r}")
    return verdict
