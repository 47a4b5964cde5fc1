"""Bounded waiting: every wait in the suite ends, with an error that says what never happened."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until(condition: Callable[[], bool], *, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)
