"""CPU pinning: parse CPU lists, and exec a command pinned to them.

``python -m notes_bench.affinity 0 -- python -m notes serve ...`` pins itself, then
execs the command, so the server is pinned before it starts a single thread.
"""

from __future__ import annotations

import os
import sys


def parse_cpus(text: str) -> frozenset[int]:
    """Parse a CPU list like ``0``, ``0,2`` or ``0-3`` (the taskset -c syntax)."""
    cpus: set[int] = set()
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
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
    """The command, prefixed so that it runs pinned to ``cpus`` (unchanged for None)."""
    if cpus is None:
        return command
    return [sys.executable, "-m", "notes_bench.affinity", format_cpus(cpus), "--", *command]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[1] != "--":
        raise SystemExit("usage: python -m notes_bench.affinity CPUS -- COMMAND [ARGS...]")
    pin_current_process(parse_cpus(args[0]))
    command = args[2:]
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
