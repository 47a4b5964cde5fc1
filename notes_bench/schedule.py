"""The open loop's timetable: when each request is due, whatever the server does.

Request ``i`` of a run at ``rate`` per second is due at ``start + i / rate`` and goes
to connection ``i mod connections``: each connection sends every ``connections / rate``
seconds, and together they send evenly. A request whose connection is still busy when
it falls due waits and is sent late; its latency counts from when it was due (wrk2's
model), so a stalled server is charged for every request it kept waiting, not only
for the ones that were in flight.
"""

from __future__ import annotations

import dataclasses
import math

NS_PER_S = 1_000_000_000


@dataclasses.dataclass(frozen=True)
class Schedule:
    rate: float  # requests per second, all connections of all client processes together
    connections: int
    start_ns: int  # time.monotonic_ns() at which request 0 is due

    def __post_init__(self) -> None:
        if not self.rate > 0 or self.connections < 1:
            raise ValueError("a schedule needs a rate above 0 and at least one connection")

    def due_ns(self, connection: int, k: int) -> int:
        """When the k-th request (from 0) of ``connection`` is due."""
        index = connection + k * self.connections
        return self.start_ns + round(index * NS_PER_S / self.rate)

    def first_due_at_or_after(self, connection: int, at_ns: int) -> int:
        """The smallest k whose request on ``connection`` is due at or after ``at_ns``."""
        index = (at_ns - self.start_ns) * self.rate / NS_PER_S
        k = max(0, math.ceil((index - connection) / self.connections))
        # Rounding in due_ns may put the boundary one request either way.
        while k > 0 and self.due_ns(connection, k - 1) >= at_ns:
            k -= 1
        while self.due_ns(connection, k) < at_ns:
            k += 1
        return k

    def count_due(self, connection: int, from_ns: int, until_ns: int) -> int:
        """How many requests of ``connection`` are due in ``[from_ns, until_ns)``."""
        if until_ns <= from_ns:
            return 0
        return self.first_due_at_or_after(connection, until_ns) - self.first_due_at_or_after(
            connection, from_ns
        )
