"""The run's results by rule: the terminal table, the markdown summary, the JUnit file,
and the traceability table (rule -> checks)."""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from notes_conformance.contract import Rule
from notes_conformance.outcomes import CheckResult, RuleResult, Verdict
from notes_conformance.recording import Exchange, headers_text

TEXT_WIDTH = 100


@dataclass(frozen=True)
class Summary:
    target: str
    results: Sequence[RuleResult]
    unruled: Sequence[CheckResult]  # checks that cite no rule
    seconds: float
    deselected: frozenset[str] = frozenset()  # rules of the checks left out of this run

    def count(self, verdict: Verdict) -> int:
        return sum(1 for result in self.results if result.verdict is verdict)

    @property
    def checks(self) -> list[CheckResult]:
        seen: dict[str, CheckResult] = {}
        for result in self.results:
            for check in result.checks:
                seen[check.nodeid] = check
        for check in self.unruled:
            seen[check.nodeid] = check
        return list(seen.values())

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [check for check in self.checks if check.verdict is Verdict.FAILED]

    @property
    def required_failures(self) -> list[CheckResult]:
        """The failed checks that fail the server: all but those citing only recommended
        rules, which are reported and fail nothing (the contract, "Required and recommended")."""
        recommended = {result.rule.id for result in self.results if result.rule.recommended}
        return [c for c in self.failed_checks if not c.rules or not set(c.rules) <= recommended]

    @property
    def passed(self) -> bool:
        return not self.required_failures

    def headline(self) -> str:
        checks = self.checks
        ran = sum(1 for check in checks if check.verdict is not Verdict.SKIPPED)
        verdict = "PASSED" if self.passed else "FAILED"
        missed = sum(1 for r in self.results if r.verdict is Verdict.FAILED and r.rule.recommended)
        note = f" ({missed} recommended missed: reported, not failing)" if missed else ""
        return (
            f"{verdict}: {self.count(Verdict.FAILED) - missed} rules failed{note}, "
            f"{self.count(Verdict.PASSED)} passed, {self.count(Verdict.SKIPPED)} skipped, "
            f"{self.count(Verdict.UNCHECKED)} not checked (of {len(self.results)}); "
            f"{len(self.failed_checks)} of {ran} checks run failed, "
            f"{len(checks) - ran} skipped; {self.seconds:.0f} s against {self.target}"
        )


def _checks_column(result: RuleResult) -> str:
    ran = [check for check in result.checks if check.verdict is not Verdict.SKIPPED]
    passed = sum(1 for check in ran if check.verdict is Verdict.PASSED)
    return f"{passed}/{len(ran)}" if ran else "-"


def _why(result: RuleResult, deselected: frozenset[str]) -> str:
    if result.verdict is Verdict.FAILED:
        return "; ".join(check.name for check in result.failed[:3]) + (
            f" (+{len(result.failed) - 3})" if len(result.failed) > 3 else ""
        )
    if result.verdict is Verdict.SKIPPED:
        return " / ".join(result.skip_reasons)
    if result.verdict is Verdict.UNCHECKED:
        if result.checks or result.rule.id in deselected:
            return "no check of it ran (not selected)"
        return "the kit has no check of it (docs/traceability.md: what does)"
    return ""


def _exchange_text(exchange: Exchange | None) -> tuple[str, str]:
    if exchange is None:
        return "(no HTTP request recorded)", ""
    sent = f"{exchange.method} {exchange.url}\n{headers_text(exchange.request_headers)}"
    if exchange.request_body:
        sent += f"\n\n{exchange.request_body}"
    received = f"{exchange.status} {exchange.reason}\n{headers_text(exchange.response_headers)}"
    if exchange.response_body:
        received += f"\n\n{exchange.response_body}"
    return sent, received


def failure_blocks(summary: Summary) -> list[tuple[str, CheckResult]]:
    """Each failed check once, under the first rule it cites (or none)."""
    blocks: list[tuple[str, CheckResult]] = []
    shown: set[str] = set()
    for result in summary.results:
        for check in result.failed:
            if check.nodeid not in shown:
                shown.add(check.nodeid)
                blocks.append((result.rule.id, check))
    for check in summary.unruled:
        if check.verdict is Verdict.FAILED and check.nodeid not in shown:
            blocks.append(("", check))
    return blocks


def text(summary: Summary, rules: Mapping[str, Rule]) -> str:
    """The terminal's report: the failures in detail, then every rule, then the verdict."""
    lines: list[str] = []
    failing = {check.nodeid for check in summary.required_failures}
    for rule_id, check in failure_blocks(summary):
        cited = ", ".join(check.rules) or "no rule"
        label = "FAIL" if check.nodeid in failing else "MISS (recommended: reported, not failing)"
        lines.append(f"\n== {label} {cited}: {check.nodeid}")
        for rid in check.rules:
            rule = rules.get(rid)
            if rule is not None:
                lines.extend(
                    textwrap.wrap(
                        f"{rid} ({rule.version}) {rule.text}",
                        TEXT_WIDTH,
                        initial_indent="   ",
                        subsequent_indent="      ",
                    )
                )
        del rule_id
        sent, received = _exchange_text(check.exchange)
        lines.append("-- expected (the check's assertion):")
        lines.extend(f"   {line}" for line in check.reason.splitlines())
        lines.append("-- request sent (the check's last):")
        lines.extend(f"   {line}" for line in sent.splitlines())
        if received:
            lines.append("-- response received:")
            lines.extend(f"   {line}" for line in received.splitlines())
    lines.append("\nrule        version             verdict      checks  why")
    for result in summary.results:
        lines.append(
            f"{result.rule.id:<11} {result.rule.version:<19} {result.verdict.value:<12} "
            f"{_checks_column(result):>6}  {_why(result, summary.deselected)}"
        )
    failing_unruled = [c for c in summary.unruled if c.verdict is Verdict.FAILED]
    if summary.unruled:
        lines.append(
            f"(no rule)   {'':<19} {'FAIL' if failing_unruled else 'pass':<12} "
            f"{len(summary.unruled):>6}  checks that cite no rule"
        )
    lines.append("\n" + summary.headline())
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(summary: Summary, rules: Mapping[str, Rule]) -> str:
    """The summary a CI job attaches: the verdict, the rules' table, each failure."""
    out = [f"# notes-conformance against {summary.target}", "", f"**{summary.headline()}**", ""]
    out += ["| rule | version | verdict | checks passed | why |", "| --- | --- | --- | --- | --- |"]
    for result in summary.results:
        verdict = (
            f"**{result.verdict.value}**"
            if result.verdict is Verdict.FAILED
            else result.verdict.value
        )
        out.append(
            f"| {result.rule.id} | {result.rule.version} | {verdict} | "
            f"{_checks_column(result)} | {_cell(_why(result, summary.deselected))} |"
        )
    if summary.unruled:
        failing = sum(1 for check in summary.unruled if check.verdict is Verdict.FAILED)
        out.append(
            f"| (no rule) | | {'**FAIL**' if failing else 'pass'} | "
            f"{len(summary.unruled) - failing}/{len(summary.unruled)} | checks that cite no rule |"
        )
    blocks = failure_blocks(summary)
    if blocks:
        out += ["", "## Failures"]
    for _, check in blocks:
        out += ["", f"### {', '.join(check.rules) or 'no rule'}: `{check.nodeid}`", ""]
        for rid in check.rules:
            rule = rules.get(rid)
            if rule is not None:
                out.append(f"> **{rid}** ({rule.version}) {rule.text}")
                out.append(">")
        sent, received = _exchange_text(check.exchange)
        out += ["", "Expected (the check's assertion):", "", "```text", check.reason, "```"]
        out += ["", "Request sent:", "", "```http", sent, "```"]
        if received:
            out += ["", "Response received:", "", "```http", received, "```"]
    return "\n".join(out) + "\n"


# What XML 1.0 cannot hold, even escaped: a response body with a control character
# (a byte of an image, say) would otherwise make the whole JUnit file unreadable.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(value: str) -> str:
    return NOT_XML.sub("\ufffd", value)


def write_junit(path: Path, summary: Summary, rules: Mapping[str, Rule]) -> None:
    """One test case per rule, named by its id (and per check that cites no rule)."""
    suite = ElementTree.Element(
        "testsuite",
        name="notes-conformance",
        tests=str(len(summary.results) + len(summary.unruled)),
        failures=str(summary.count(Verdict.FAILED)),
        skipped=str(summary.count(Verdict.SKIPPED) + summary.count(Verdict.UNCHECKED)),
        time=f"{summary.seconds:.3f}",
    )
    for result in summary.results:
        rule = result.rule
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"contract.{rule.id.split('-')[0]}",
            name=f"{rule.id} ({rule.version}) {rule.text[:80]}",
        )
        if result.verdict is Verdict.FAILED:
            detail = [rule.text, ""]
            for check in result.failed:
                sent, received = _exchange_text(check.exchange)
                detail += [f"{check.nodeid}", check.reason, "", sent, "", received, ""]
            ElementTree.SubElement(
                case, "failure", message=f"{len(result.failed)} checks failed"
            ).text = "\n".join(detail)
        elif result.verdict in (Verdict.SKIPPED, Verdict.UNCHECKED):
            ElementTree.SubElement(case, "skipped", message=_why(result, summary.deselected))
        properties = ElementTree.SubElement(case, "properties")
        for check in result.checks:
            ElementTree.SubElement(
                properties, "property", name="check", value=f"{check.nodeid}: {check.verdict.value}"
            )
    for check in summary.unruled:
        module, _, name = check.nodeid.rpartition("::")
        classname = "notes_conformance." + module.removesuffix(".py").replace("/", ".")
        case = ElementTree.SubElement(suite, "testcase", classname=classname, name=name)
        if check.verdict is Verdict.FAILED:
            ElementTree.SubElement(case, "failure", message=check.reason[:200]).text = check.reason
        elif check.verdict is Verdict.SKIPPED:
            ElementTree.SubElement(case, "skipped", message=check.reason)
    del rules
    for element in suite.iter():
        element.text = element.text and _xml_safe(element.text)
        element.attrib = {name: _xml_safe(value) for name, value in element.attrib.items()}
    ElementTree.indent(suite)
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


class Collected(NamedTuple):
    """A check as collected: its node id, the rules it cites, why it cites none."""

    nodeid: str
    rules: tuple[str, ...]
    norule: str | None = None


def traceability(rules: Mapping[str, Rule], checks: Iterable[Collected]) -> str:
    """Rule -> the checks that cite it, for every rule; then the checks citing none."""
    of_rule: dict[str, list[str]] = {rule_id: [] for rule_id in rules}
    unruled: dict[str, str | None] = {}
    for nodeid, cited, why in checks:
        # A check's parameters make one line; they may hold a '/' (`PUT /notes/{note_id}`).
        name = nodeid.split("[", 1)[0].rsplit("/", 1)[-1]
        if not cited:
            unruled.setdefault(name, why)
        for rule_id in cited:
            names = of_rule.setdefault(rule_id, [])
            if name not in names:
                names.append(name)
    out = ["| rule | version | checks |", "| --- | --- | --- |"]
    for rule_id, names in of_rule.items():
        version = rules[rule_id].version if rule_id in rules else "not in the contract"
        out.append(f"| {rule_id} | {version} | {'<br>'.join(names) or '**none**'} |")
    if unruled:
        out += ["", "Checks that cite no rule:"]
        out += [f"- {name}: {why or 'no reason given'}" for name, why in unruled.items()]
    return "\n".join(out) + "\n"
