"""CPU pinning: CPU lists in taskset's syntax, and commands started pinned to them."""

from __future__ import annotations

import os


def parse_cpus(text: str) -> frozenset[int]:
    """Parse a CPU list like ``0``, ``0,2`` or ``0-3`` (the taskset -c syntax)."""
    cpus: set[int] = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        first, sep, last = item.partition("-")
        try:
            low = int(first)
            high = int(last) if sep else low
        except ValueError:
            raise ValueError(f"CPU list item {item!r} is not N or N-M") from None
        if low < 0 or high < low:
            raise ValueError(f"CPU range {item!r} is empty or negative")
        cpus.update(range(low, high + 1))
    if not cpus:
        raise ValueError("CPU list is empty")
    return frozenset(cpus)


def format_cpus(cpus: frozenset[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))


def pin_current_process(cpus: frozenset[int]) -> None:
    """Pin this process; children started afterwards inherit the mask."""
    os.sched_setaffinity(0, cpus)


def pinned_command(command: list[str], cpus: frozenset[int] | None) -> list[str]:
    """The command, run by taskset so that it is pinned before its first thread starts."""
    if cpus is None:
        return command
    return ["taskset", "-c", format_cpus(cpus), *command]
