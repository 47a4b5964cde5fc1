"""The precondition of a write (RFC 9110 section 13.1.1): If-Match, as the data needs it.

The web layer reads the header (``web.conditional``); the write checks it against the
row it has locked, in the same transaction, so that two writers holding one ETag
can never both win.
"""

from __future__ import annotations

import dataclasses

from notes.domain.errors import PreconditionFailed


@dataclasses.dataclass(frozen=True, slots=True)
class IfMatch:
    """The strong entity tags (quoted, as ``NoteRecord.etag``) a write may find, or any."""

    tags: frozenset[str] = frozenset()
    any_tag: bool = False

    def holds(self, etag: str) -> bool:
        return self.any_tag or etag in self.tags


ANY = IfMatch(any_tag=True)


def require(condition: IfMatch | None, etag: str) -> None:
    """No condition, or one the current ETag meets; else nothing may change (412)."""
    if condition is not None and not condition.holds(etag):
        raise PreconditionFailed()
