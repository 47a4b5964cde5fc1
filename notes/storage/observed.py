"""A backend whose every unit of work is timed for a ``DatabaseObserver``."""

from __future__ import annotations

import time
from typing import TypeVar

from notes.domain.observer import DatabaseObserver
from notes.storage.backend import Backend, Work

T = TypeVar("T")


class ObservedBackend:
    """How long requests wait for the database: from asking to being answered, queue
    and pool waits included, as the request sees it."""

    def __init__(self, backend: Backend, observer: DatabaseObserver) -> None:
        self._backend = backend
        self._observer = observer

    async def read(self, work: Work[T]) -> T:
        started = time.perf_counter()
        try:
            return await self._backend.read(work)
        finally:
            self._observer.waited("read", time.perf_counter() - started)

    async def write(self, work: Work[T], *, one_statement: bool = False) -> T:
        started = time.perf_counter()
        try:
            return await self._backend.write(work, one_statement=one_statement)
        finally:
            self._observer.waited("write", time.perf_counter() - started)

    async def check_health(self) -> None:
        await self._backend.check_health()

    async def close(self) -> None:
        await self._backend.close()
