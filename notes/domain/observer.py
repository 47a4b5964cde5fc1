"""What storage reports about its own work, for whoever measures it (the metrics).

Storage calls these methods; the process wires in an implementation (the web layer's
Prometheus metrics) or none. They are called on hot paths and, for SQLite, on the
database threads: an implementation must be quick and thread-safe.
"""

from __future__ import annotations

from typing import Literal, Protocol

Operation = Literal["read", "write"]


class DatabaseObserver(Protocol):
    def waited(self, operation: Operation, seconds: float) -> None:
        """A request waited `seconds` for the database to run its unit of work."""

    def write_batch(self, size: int, commit_seconds: float) -> None:
        """SQLite's writer committed `size` writes in one transaction; the COMMIT
        itself took `commit_seconds`."""

    def pool(self, *, size: int, checked_out: int, overflow: int, waiting: int) -> None:
        """PostgreSQL's pool now: connections open, lent out, open beyond the pool's
        size, and units of work waiting for one."""
