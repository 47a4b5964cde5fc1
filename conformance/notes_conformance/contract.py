"""The contract's rules, read from the copy of docs/contract.md shipped in this package.

A rule is a list item or a table row that begins with its id in bold and the version that
introduced it (the contract's "How to read this document"); its text runs to the next
rule, blank line or heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

RULE_START = re.compile(
    r"^(?:- |\| )\*\*(?P<id>[A-Z]+-\d+)\*\* \((?P<version>[^)]*)\)\s*(?P<text>.*)$"
)


@dataclass(frozen=True)
class Rule:
    id: str
    version: str
    text: str

    @property
    def withdrawn(self) -> bool:
        return "withdrawn" in self.version

    @property
    def recommended(self) -> bool:
        return "recommended" in self.version


def contract_text() -> str:
    return resources.files("notes_conformance").joinpath("contract.md").read_text("utf-8")


def parse_rules(markdown: str) -> dict[str, Rule]:
    """Every rule of the document by id, in the order they are written."""
    rules: dict[str, Rule] = {}
    current: list[str] | None = None
    head: re.Match[str] | None = None
    in_code = False

    def close() -> None:
        if head is not None and current is not None:
            text = " ".join(part.strip() for part in current).strip().rstrip("|").strip()
            rules[head["id"]] = Rule(head["id"], head["version"], text)

    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        match = RULE_START.match(line)
        if match is not None:
            close()
            head, current = match, [match["text"]]
        elif current is not None and line.strip() and not line.startswith(("#", "- ", "| ")):
            current.append(line)
        else:
            close()
            head, current = None, None
    close()
    return rules


def load_rules() -> dict[str, Rule]:
    return parse_rules(contract_text())
