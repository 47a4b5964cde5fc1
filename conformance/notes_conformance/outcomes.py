"""Each check's result, and what they add up to for each rule of the contract."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

import pytest

from notes_conformance.contract import Rule
from notes_conformance.recording import Exchange

MESSAGE_LINES = 12


class Verdict(Enum):
    PASSED = "pass"
    FAILED = "FAIL"
    SKIPPED = "skipped"
    UNCHECKED = "not checked"


@dataclass
class CheckResult:
    """One check (a test, with its parameters) as the report shows it."""

    nodeid: str
    rules: tuple[str, ...]
    verdict: Verdict = Verdict.PASSED
    reason: str = ""  # why it failed or was skipped
    exchange: Exchange | None = None

    @property
    def name(self) -> str:
        """`test_file.py::test_name[parameters]`: the node id without its folders (a
        parameter may hold a `/` of its own, as `PUT /notes/{note_id}` does)."""
        path, separator, test = self.nodeid.partition("::")
        return path.rsplit("/", 1)[-1] + separator + test


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple):
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    text = str(crash.message) if crash is not None else str(longrepr)
    return "\n".join(text.splitlines()[:MESSAGE_LINES])


@dataclass
class Outcomes:
    """Every check's result, in the order they ran."""

    checks: dict[str, CheckResult] = field(default_factory=dict)

    def add(
        self,
        item: pytest.Item,
        rules: tuple[str, ...],
        report: pytest.TestReport,
        exchange: Exchange | None,
    ) -> None:
        result = self.checks.setdefault(item.nodeid, CheckResult(item.nodeid, rules))
        if result.verdict in (Verdict.FAILED, Verdict.SKIPPED):
            return  # a teardown after a failure or a skip does not change the verdict
        if report.failed:
            result.verdict, result.reason, result.exchange = (
                Verdict.FAILED,
                _reason(report),
                exchange,
            )
        elif report.skipped and not getattr(report, "wasxfail", None):
            result.verdict, result.reason = Verdict.SKIPPED, _reason(report)


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    verdict: Verdict
    checks: tuple[CheckResult, ...]

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.verdict is Verdict.FAILED)

    @property
    def skip_reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.reason for c in self.checks if c.verdict is Verdict.SKIPPED))


def by_rule(rules: Mapping[str, Rule], checks: Iterable[CheckResult]) -> list[RuleResult]:
    """Every rule of the contract with the checks of it: failed if any failed, passed if
    any passed and none failed, skipped if every one was skipped, else not checked."""
    of_rule: dict[str, list[CheckResult]] = {rule_id: [] for rule_id in rules}
    for check in checks:
        for rule_id in check.rules:
            of_rule.setdefault(rule_id, []).append(check)
    results: list[RuleResult] = []
    for rule_id, found in of_rule.items():
        rule = rules.get(rule_id, Rule(rule_id, "?", "(not in the contract)"))
        verdicts = {check.verdict for check in found}
        if Verdict.FAILED in verdicts:
            verdict = Verdict.FAILED
        elif Verdict.PASSED in verdicts:
            verdict = Verdict.PASSED
        elif Verdict.SKIPPED in verdicts:
            verdict = Verdict.SKIPPED
        else:
            verdict = Verdict.UNCHECKED
        results.append(RuleResult(rule, verdict, tuple(found)))
    return results
