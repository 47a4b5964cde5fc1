"""The results as a Markdown table, and the score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conformance.selftest.harness import Outcome

SHOWN_TESTS = 3


@dataclass(frozen=True)
class Score:
    caught: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.caught / self.total if self.total else 100.0

    def __str__(self) -> str:
        return f"{self.caught} of {self.total} caught ({self.percent:.1f}%)"


def score(outcomes: Sequence[Outcome]) -> Score:
    judged = [o for o in outcomes if o.violation is not None and not o.violation.control]
    return Score(sum(o.caught for o in judged), len(judged))


def caught_by(outcome: Outcome) -> str:
    verdict = outcome.verdict
    if verdict.timed_out:
        return "the kit timed out"
    if not outcome.caught:
        provoked = outcome.hits or outcome.violation is None
        return "" if provoked else "never provoked: the kit sent no request it alters"
    shown = ", ".join(f"`{test}`" for test in verdict.failed[:SHOWN_TESTS])
    more = len(verdict.failed) - SHOWN_TESTS
    tests = shown + (f" and {more} more" if more > 0 else "")
    rules = f"; rules {', '.join(verdict.rules)}" if verdict.rules else ""
    return f"{verdict.failures} failed: {tests}{rules}"


def line(outcome: Outcome) -> str:
    """One line of progress."""
    violation = outcome.violation
    if violation is None:
        state = "FAILED" if outcome.caught else "passed"
    elif violation.control:
        state = "passed (allowed)" if not outcome.caught else "FAILED: the kit is too strict"
    else:
        state = "caught" if outcome.caught else "SURVIVED"
    return (
        f"{outcome.name:40} {state:10} hits={outcome.hits:<5} {outcome.scope} "
        f"{outcome.seconds:5.1f}s {caught_by(outcome)}"
    )


def markdown(outcomes: Sequence[Outcome], *, header: str) -> str:
    violations = [o for o in outcomes if o.violation is not None and not o.violation.control]
    controls = [o for o in outcomes if o.violation is not None and o.violation.control]
    rows = [
        header,
        "",
        f"**Score: {score(outcomes)}.**",
        "",
        "(CI): one of the fast subset that CI runs (`tox -e conformance-selftest-fast`).",
        "",
        "| violation | breaks | what the proxy does | caught | by (failed kit tests) | hits |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for outcome in violations:
        assert outcome.violation is not None
        in_ci = " (CI)" if outcome.violation.fast else ""
        rows.append(
            f"| `{outcome.name}`{in_ci} | {', '.join(outcome.violation.rules)} "
            f"| {outcome.violation.description} | {'yes' if outcome.caught else '**no**'} "
            f"| {caught_by(outcome)} | {outcome.hits} |"
        )
    if controls:
        rows += [
            "",
            "Controls (variations the contract allows; the kit must pass them):",
            "",
            "| control | what the proxy does | kit passed | failed kit tests | hits |",
            "| --- | --- | --- | --- | --- |",
        ]
        for outcome in controls:
            assert outcome.violation is not None
            rows.append(
                f"| `{outcome.name}` | {outcome.violation.description} "
                f"| {'yes' if not outcome.caught else '**no**'} "
                f"| {caught_by(outcome) if outcome.caught else ''} | {outcome.hits} |"
            )
    return "\n".join(rows) + "\n"
