"""The open loop's timetable: when each request is due, and how many fall in a window."""

from __future__ import annotations

import pytest

from notes_bench.schedule import Schedule

S = 1_000_000_000  # nanoseconds


def test_requests_are_spread_evenly_over_the_connections() -> None:
    schedule = Schedule(rate=1000.0, connections=4, start_ns=5 * S)
    # Request i is due at start + i ms and goes to connection i mod 4.
    assert [schedule.due_ns(0, k) for k in range(3)] == [
        5 * S,
        5 * S + 4_000_000,
        5 * S + 8_000_000,
    ]
    assert schedule.due_ns(3, 0) == 5 * S + 3_000_000
    due = sorted(schedule.due_ns(c, k) for c in range(4) for k in range(25))
    assert due == [5 * S + i * 1_000_000 for i in range(100)]


def test_first_due_finds_the_boundary_on_both_sides() -> None:
    schedule = Schedule(rate=3.0, connections=2, start_ns=0)
    for connection in range(2):
        for at in [0, 1, S // 3, S // 3 + 1, 2 * S, 2 * S + 1, 7 * S - 1]:
            k = schedule.first_due_at_or_after(connection, at)
            assert schedule.due_ns(connection, k) >= at
            assert k == 0 or schedule.due_ns(connection, k - 1) < at


def test_a_window_holds_rate_times_its_length() -> None:
    schedule = Schedule(rate=250.0, connections=8, start_ns=123)
    window = (123 + 2 * S, 123 + 6 * S)
    assert sum(schedule.count_due(c, *window) for c in range(8)) == 1000
    assert schedule.count_due(0, 10 * S, 5 * S) == 0


@pytest.mark.parametrize(("rate", "connections"), [(0.0, 1), (-1.0, 1), (10.0, 0)])
def test_a_schedule_needs_a_rate_and_a_connection(rate: float, connections: int) -> None:
    with pytest.raises(ValueError, match="rate above 0"):
        Schedule(rate=rate, connections=connections, start_ns=0)
