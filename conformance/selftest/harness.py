"""One violation judged: a fresh server, the proxy breaking that rule, the kit against it.

Each violation gets its own server on a fresh SQLite file (`notes serve` through
notes.process) and its own proxy, so no violation sees another's data or state. The
kit first runs only its tests of the rules the violation breaks; a violation that
survives them is judged again by the whole kit, schema fuzzing included, and that
verdict is the one recorded. A caught violation needs no second run: a test that
failed in part of the kit fails in all of it. Controls are judged by the whole kit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.selftest.kit import KitVerdict, run_kit
from conformance.selftest.proxy import running_proxy
from conformance.selftest.violation import Violation
from notes.process import ServerProcess, notes_command

BASELINE = "baseline"


@dataclass(frozen=True)
class Outcome:
    """The kit's verdict on one violation (None: the transparent proxy)."""

    violation: Violation | None
    verdict: KitVerdict
    hits: int  # how often the proxy altered (or made up) what the kit saw
    scope: str  # "whole kit", "kit without fuzzing" or "its rules": what judged it
    seconds: float  # every run for this violation, servers included

    @property
    def name(self) -> str:
        return BASELINE if self.violation is None else self.violation.id

    @property
    def caught(self) -> bool:
        return not self.verdict.passed


async def judge(
    violation: Violation | None,
    *,
    workdir: Path,
    rules: Sequence[str] | None = None,
    fuzz: bool = True,
) -> Outcome:
    """One run of the kit (the tests of `rules`, or all) against a fresh server behind
    the proxy."""
    started = time.monotonic()
    name = BASELINE if violation is None else violation.id
    folder = workdir / name / ("rules" if rules is not None else "whole" if fuzz else "quick")
    folder.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite+aiosqlite:///{folder / 'notes.db'}"
    server = ServerProcess(notes_command(database_url), log_path=folder / "server.log")
    await asyncio.to_thread(server.start)
    try:
        async with running_proxy(server.base_url, violation) as proxy:
            verdict = await run_kit(
                proxy.base_url,
                junit=folder / "junit.xml",
                log=folder / "kit.log",
                rules=rules,
                fuzz=fuzz,
            )
            hits = proxy.hits
    finally:
        await asyncio.to_thread(server.stop)
    scope = "its rules" if rules is not None else "whole kit" if fuzz else "kit without fuzzing"
    return Outcome(violation, verdict, hits, scope, time.monotonic() - started)


async def assess(violation: Violation, *, workdir: Path, whole_kit: bool = False) -> Outcome:
    """The whole kit's verdict, from the tests of the violated rules where they settle it."""
    if whole_kit or violation.control:
        return await judge(violation, workdir=workdir)
    first = await judge(violation, workdir=workdir, rules=violation.rules)
    if first.caught:
        return first
    second = await judge(violation, workdir=workdir)
    seconds = first.seconds + second.seconds
    return Outcome(violation, second.verdict, second.hits, second.scope, seconds)


async def assess_all(
    violations: Sequence[Violation],
    *,
    jobs: int,
    workdir: Path,
    report: Callable[[Outcome], None],
    whole_kit: bool = False,
) -> list[Outcome]:
    """Every violation, `jobs` at a time; outcomes in the order given."""
    slots = asyncio.Semaphore(jobs)

    async def one(violation: Violation) -> Outcome:
        async with slots:
            outcome = await assess(violation, workdir=workdir, whole_kit=whole_kit)
        report(outcome)
        return outcome

    return list(await asyncio.gather(*(one(violation) for violation in violations)))
