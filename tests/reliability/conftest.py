"""Fixtures of the reliability suite: real `notes serve` processes, and the figures they yield.

Every test starts the service as a child process on a fresh loopback port and a fresh
database, does something unkind to it, and records what it measured with ``figure``.
The figures are printed as they are taken (visible with ``-s``), gathered at the end
of the run by ``pytest_terminal_summary``, and appended as JSON lines to
``<basetemp>/reliability-figures.jsonl``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.reliability.figures import REPORT_PATH, FigureRecorder, collected
from tests.reliability.rawhttp import RawConnections
from tests.reliability.server import ServerPool


@pytest.fixture(scope="session")
def figure_report(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    path = tmp_path_factory.getbasetemp() / "reliability-figures.jsonl"
    pytestconfig.stash[REPORT_PATH] = path
    return path


@pytest.fixture
def figure(pytestconfig: pytest.Config, figure_report: Path) -> FigureRecorder:
    """Record a figure: ``figure("kill9", acknowledged=812, lost=0)``."""
    return FigureRecorder(pytestconfig)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerPool]:
    pool = ServerPool(tmp_path)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client with no connection limit and a generous hang detector."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield session


@pytest.fixture
async def raw_connections() -> AsyncIterator[RawConnections]:
    """Open raw connections with ``await raw_connections.open(port)``; closed at teardown."""
    connections = RawConnections()
    try:
        yield connections
    finally:
        await connections.close_all()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = collected(terminalreporter.config)
    if not figures:
        return
    terminalreporter.section("reliability figures")
    for figure in figures:
        terminalreporter.write_line(figure.line())
    path = terminalreporter.config.stash.get(REPORT_PATH, None)
    if path is not None:
        terminalreporter.write_line(f"(also written to {path})")
