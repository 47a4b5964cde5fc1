"""SQLite: a thread of its own holding the connection, with group commit.

A unit of work runs on the thread that owns the connection: one hop between the event
loop and that thread per request, where the async engine over aiosqlite makes one per
statement. Writes queued meanwhile share a transaction and a single commit (group
commit); every caller is answered only after that commit. Reads run on a second
thread, on their own connection (WAL lets them go on during a write).

Statements are compiled once to SQL text and run on the connection's own ``sqlite3``
handle (``SqliteRunner``), converting values the way SQLAlchemy's SQLite dialect
stores them (datetimes as ``YYYY-MM-DD HH:MM:SS.ffffff`` text), so that both paths
read and write the same rows. Why, in figures: benchmarks/README.md, "Measured costs
behind the design".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from notes.domain.errors import ListingOverBudget, NotesError
from notes.domain.observer import DatabaseObserver
from notes.settings import Settings
from notes.storage import repository
from notes.storage.backend import Work, checked, translate_database_errors
from notes.storage.compiled import StatementCache
from notes.storage.deadlines import Deadlines
from notes.storage.statements import Row, Statement

T = TypeVar("T")
logger = logging.getLogger(__name__)

# How many queued writes one transaction may take: enough to amortise the commit's
# fsync, few enough that a failing batch stays cheap to retry one by one.
MAX_WRITE_BATCH = 64
MAX_READ_BATCH = 32
# A listing's time budget is checked every this many SQLite VM steps (well under 1 ms).
PROGRESS_STEPS = 10_000


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        # SQLAlchemy's SQLite storage format: it compares and sorts as text.
        return value.isoformat(sep=" ", timespec="microseconds")
    return value


_from_text: Callable[[str], datetime] = datetime.fromisoformat


def _with_datetimes(rows: list[Row], columns: tuple[int, ...]) -> list[Row]:
    # One loop for the whole result, not a call a row: a page is 51 rows.
    converted: list[Row] = []
    for row in rows:
        values = list(row)
        for index in columns:
            if values[index] is not None:
                values[index] = _from_text(values[index])
        converted.append(values)
    return converted


class SqliteRunner:
    """Statements compiled once and run on the connection's own ``sqlite3`` handle."""

    __slots__ = ("_cache", "connection")

    def __init__(self, connection: Connection, cache: StatementCache) -> None:
        self.connection = connection
        self._cache = cache

    def fetch(self, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
        entry, cursor = self._run_raw(statement, params)
        rows: list[Row] = cursor.fetchall()
        if entry.datetime_columns and rows:
            rows = _with_datetimes(rows, entry.datetime_columns)
        return rows

    def fetch_stored(
        self, statement: Statement, params: Mapping[str, Any], *, budget: float | None = None
    ) -> list[Row]:
        if budget is None:
            rows: list[Row] = self._run_raw(statement, params)[1].fetchall()
            return rows
        raw = self.connection.connection.driver_connection
        assert raw is not None
        deadline = time.monotonic() + budget
        # SQLite calls this every PROGRESS_STEPS virtual-machine steps; a true answer
        # interrupts the statement.
        raw.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
        try:
            rows = self._run_raw(statement, params)[1].fetchall()
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise ListingOverBudget(budget) from None
            raise
        finally:
            raw.set_progress_handler(None, 0)
        return rows

    @property
    def dialect_name(self) -> str:
        return "sqlite"

    @property
    def read_datetime(self) -> Callable[[Any], datetime]:
        return _from_text

    def insert(self, statement: Statement, params: Mapping[str, Any]) -> int:
        # No RETURNING: the cursor's lastrowid costs half as much (benchmarks/README.md).
        key: int = self._run_raw(statement, params)[1].lastrowid
        return key

    def execute(self, statement: Statement, params: Mapping[str, Any]) -> None:
        self._run_raw(statement, params)

    def _run_raw(self, statement: Statement, params: Mapping[str, Any]) -> tuple[Any, Any]:
        entry = self._cache.compiled(statement)
        raw = self.connection.connection.driver_connection
        assert raw is not None
        values = [_sqlite_value(value) for value in entry.values(params)]
        return entry, raw.execute(entry.sql, values)


def touch_header(runner: SqliteRunner) -> None:
    """Write the database header's (unused) user_version back unchanged.

    It costs one WAL frame, and fails exactly when writes do: a full disk, a file
    that became read-only or immutable, a lock held too long by another process.
    """
    version = runner.connection.exec_driver_sql("PRAGMA user_version").scalar_one()
    runner.connection.exec_driver_sql(f"PRAGMA user_version = {int(version)}")


# What this backend's threads run: any unit of work, or one that needs SQLite's own runner.
SqliteWork = Callable[[SqliteRunner], T]


@dataclasses.dataclass(slots=True)
class _Job:
    work: SqliteWork[Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


# A job and what its caller is told: a result, or an error.
_Answer = tuple[_Job, Any, BaseException | None]


def _answer(answers: list[_Answer]) -> None:
    """Hand the answers to their callers' loops, one wake-up a loop for all of them:
    a wake-up a job cost a sixth of a page's read in a batch (benchmarks/README.md)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, Any]]] = {}
    for job, result, error in answers:
        if isinstance(error, NotesError):
            # A domain answer (404, 412), not a fault: its stack in this thread tells
            # nothing, and it would hold the batch's frame, and so every job, future and
            # page of the batch, in a cycle until a full collection (which `serve`
            # makes rare): 100 MB and more under load.
            error = error.with_traceback(None)
        by_loop.setdefault(job.loop, []).append((job.future, result, error))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(_settle_all, settled)


def _settle_all(settled: list[tuple[asyncio.Future[Any], Any, Any]]) -> None:
    for future, result, error in settled:
        _settle(future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller gave up waiting (timeout or disconnect)
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _time_out(future: asyncio.Future[Any]) -> None:
    """Answer a caller whose job is not done in time; the worker then skips the job."""
    _settle(future, None, TimeoutError())


_STOP = object()


class _SqliteWorker(threading.Thread):
    """Owns one SQLite connection; runs queued jobs in batches, one transaction a batch."""

    def __init__(
        self,
        name: str,
        engine: Engine,
        *,
        max_batch: int,
        writes: bool,
        observer: DatabaseObserver | None = None,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._engine = engine
        self._max_batch = max_batch
        # Writes: a failed batch is retried job by job. Reads change nothing, and a
        # batch of them shares one read transaction (`_begin_read_transaction`).
        self._writes = writes
        self._observer = observer

    def run(self) -> None:
        cache = StatementCache(self._engine.dialect)
        connection: Connection | None = None
        while True:
            first = self.jobs.get()
            if first is _STOP:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            stop = any(job is _STOP for job in batch)
            # A caller that gave up (timeout, disconnect) was answered already: skip its
            # job rather than commit a write nobody is told about. (done() read from
            # this thread may be stale; then the job merely runs.)
            jobs = [job for job in batch if isinstance(job, _Job) and not job.future.done()]
            try:
                if connection is None:
                    connection = self._engine.connect()
                self._run_batch(SqliteRunner(connection, cache), jobs)
            except Exception as error:
                _answer([(job, None, error) for job in jobs])
                if connection is not None:
                    connection.invalidate()
                    connection.close()
                    connection = None
            if stop:
                break
        if connection is not None:
            connection.close()

    def _run_batch(self, runner: SqliteRunner, jobs: list[_Job]) -> None:
        """Run the jobs in one transaction; answer each only after its commit.

        A domain error (404, 412) comes before a job writes anything (see
        `repository`), so it is that job's answer and the others still commit. Any
        other failure rolls the whole batch back and each job is run again alone, so
        that one bad job never takes its neighbours' writes with it.
        """
        if not jobs:
            return
        if len(jobs) == 1:
            self._run_alone(runner, jobs[0])
            return
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            with runner.connection.begin():
                if not self._writes:
                    _begin_read_transaction(runner.connection)
                for job in jobs:
                    try:
                        outcomes.append((job.work(runner), None))
                    except Exception as failure:
                        # A read changes nothing, so its failure is its own; so is a
                        # write's domain error (it comes before any write).
                        if self._writes and not isinstance(failure, NotesError):
                            raise
                        outcomes.append((None, failure))
                committing = time.perf_counter()
            self._committed(len(jobs), committing)
        except Exception:
            if not self._writes:
                raise
            logger.warning("a batch of %d writes failed; retrying them one by one", len(jobs))
            for job in jobs:
                self._run_alone(runner, job)
            return
        _answer([(job, *outcome) for job, outcome in zip(jobs, outcomes, strict=True)])

    def _run_alone(self, runner: SqliteRunner, job: _Job) -> None:
        try:
            with runner.connection.begin():
                result = job.work(runner)
                committing = time.perf_counter()
            self._committed(1, committing)
        except Exception as error:
            _answer([(job, None, error)])
        else:
            _answer([(job, result, None)])

    def _committed(self, size: int, committing: float) -> None:
        """Tell the observer of a write batch: its size and how long its COMMIT took."""
        if self._writes and self._observer is not None:
            self._observer.write_batch(size, time.perf_counter() - committing)


def _begin_read_transaction(connection: Connection) -> None:
    """BEGIN on SQLite's own handle, for a batch of reads: they share one snapshot,
    taken when every one of them had been asked for, and the WAL read lock is taken
    once, not once a read (half the cost of a point read: benchmarks/README.md). The
    batch's commit ends it."""
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("BEGIN")


def _sqlite_engine(settings: Settings, *, begin: str | None) -> Engine:
    url = make_url(settings.database_url).set(drivername="sqlite")
    if url.database in (None, "", ":memory:"):
        raise ValueError("SQLite needs a file: sqlite+aiosqlite:///path/to/notes.db")
    engine = create_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Transactions are ours (BEGIN below), not the sqlite3 module's guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(settings.sqlite_busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {settings.sqlite_synchronous}")
        cursor.close()

    if begin is not None:

        @event.listens_for(engine, "begin")
        def begin_transaction(connection: Connection) -> None:
            connection.exec_driver_sql(begin)

    return engine


class SqliteBackend:
    """One writer thread (BEGIN IMMEDIATE, group commit) and one reader thread (WAL).

    A read that is alone in the reader's queue runs in autocommit; reads queued
    together run in one read transaction, and so see one snapshot.
    """

    def __init__(self, settings: Settings, observer: DatabaseObserver | None = None) -> None:
        self._timeout = settings.database_timeout
        self._engines = (
            _sqlite_engine(settings, begin="BEGIN IMMEDIATE"),
            # A read alone is one SELECT: in autocommit it is its own snapshot, and it
            # spares a BEGIN and a COMMIT.
            _sqlite_engine(settings, begin=None),
        )
        self._writer = _SqliteWorker(
            "notes-sqlite-writer",
            self._engines[0],
            max_batch=MAX_WRITE_BATCH,
            writes=True,
            observer=observer,
        )
        self._reader = _SqliteWorker(
            "notes-sqlite-reader", self._engines[1], max_batch=MAX_READ_BATCH, writes=False
        )
        # One set of deadlines a worker: each answers in its turn (`Deadlines`).
        self._deadlines = {
            worker: Deadlines(settings.database_timeout, _time_out)
            for worker in (self._writer, self._reader)
        }
        self._writer.start()
        self._reader.start()

    async def read(self, work: Work[T]) -> T:
        return await self._submit(self._reader, work)

    async def write(self, work: Work[T], *, one_statement: bool = False) -> T:
        # Group commit shares one transaction among queued writes, one statement or not.
        return await self._submit(self._writer, work)

    async def check_health(self) -> None:
        await checked(self.read(repository.check_schema))
        await checked(self._submit(self._writer, touch_header))

    async def _submit(self, worker: _SqliteWorker, work: SqliteWork[T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        worker.jobs.put(_Job(work, loop, future))
        # One timer for every wait, not asyncio.wait_for (benchmarks/README.md).
        self._deadlines[worker].watch(loop, future)
        try:
            with translate_database_errors():
                return await future
        finally:
            # A raised error's traceback holds this frame: without the future in it,
            # that is no cycle (error -> frame -> future -> error) and refcounting frees it.
            del future

    async def close(self) -> None:
        for worker in (self._writer, self._reader):
            worker.jobs.put(_STOP)
        for worker in (self._writer, self._reader):
            await asyncio.to_thread(worker.join, self._timeout)
            self._deadlines[worker].close()
        for engine in self._engines:
            engine.dispose()
