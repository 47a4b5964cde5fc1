"""Fixtures of the property suite: the real app on a loopback port, driven synchronously."""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis.core
import pytest
from hypothesis.vendor.pretty import RepresentationPrinter

from tests.property.service import LiveService


@pytest.fixture(autouse=True)
def readable_failing_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """Print falsifying examples in full.

    schemathesis' pytest plugin replaces Hypothesis' printer, for every test in the
    process, with one that prints nothing (it is faster for schemathesis' own runs), so a
    failure here would read ``bodies=,``. The real printer is put back for these tests.
    """
    monkeypatch.setattr(hypothesis.core, "RepresentationPrinter", RepresentationPrinter)


@pytest.fixture
def service(database_url: str) -> Iterator[LiveService]:
    """One server on a fresh database, for properties whose examples cannot disturb each other."""
    with LiveService(database_url) as live:
        yield live


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The ownership machine's figure (test_ownership.py), for the README."""
    from tests.property.test_ownership import OWNERSHIP_TALLY

    tally = terminalreporter.config.stash.get(OWNERSHIP_TALLY, None)
    if tally is not None:
        terminalreporter.write_line(f"OWNERSHIP: {tally.attempts} cross-user attempts, 0 succeeded")
