"""Fixtures of the property suite: the real app on a loopback port, driven synchronously."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.property.service import LiveService


@pytest.fixture
def service(database_url: str) -> Iterator[LiveService]:
    """One server on a fresh database, for properties whose examples cannot disturb each other."""
    with LiveService(database_url) as live:
        yield live
