"""The database: where a request's work meets a connection, on either backend.

Handlers hand a synchronous unit of work (a function of a Core ``Connection``, see
``repository``) to ``Database.read`` or ``Database.write`` and await its result.

* PostgreSQL runs it through SQLAlchemy's async engine (``run_sync`` over asyncpg).
* SQLite runs it on a thread of its own that holds one connection: one hop between
  the event loop and that thread per request, where the async engine over aiosqlite
  makes one per statement. Writes queued meanwhile share a transaction and a single
  commit (group commit); every caller is answered only after that commit.

Lower-layer failures are translated here, once: a database that cannot be reached
(or does not answer within ``database_timeout``) is ``DatabaseUnavailable``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, create_engine, event, exc, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from notes.domain.errors import DatabaseUnavailable, NotesError
from notes.settings import Settings
from notes.storage import repository
from notes.storage.deadlines import Deadlines
from notes.storage.statements import SqliteStatementCache, StatementRunner

T = TypeVar("T")
Work = Callable[[StatementRunner], T]
logger = logging.getLogger(__name__)

# How many queued writes one transaction may take: enough to amortise the commit's
# fsync, few enough that a failing batch stays cheap to retry one by one.
MAX_WRITE_BATCH = 64
MAX_READ_BATCH = 32


class Database(Protocol):
    async def read(self, work: Work[T]) -> T: ...

    async def write(self, work: Work[T]) -> T: ...

    async def check_health(self) -> None:
        """Raise DatabaseUnavailable unless requests can be served now."""

    async def close(self) -> None: ...


def open_database(settings: Settings) -> Database:
    if settings.is_sqlite:
        return SqliteDatabase(settings)
    return AsyncEngineDatabase(settings)


_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, OSError, TimeoutError)


class _DatabaseErrorTranslation:
    """A class rather than @contextmanager: every request enters one, and a
    generator-based context manager costs 0.8 us more (measured here)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: object
    ) -> None:
        # No domain error (NotesError) is one of these: those pass through, as bugs do.
        if isinstance(error, _UNAVAILABLE):
            logger.warning("database unavailable: %s", type(error).__name__, exc_info=error)
            raise DatabaseUnavailable() from error
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            logger.warning("database connection lost", exc_info=error)
            raise DatabaseUnavailable() from error


_TRANSLATION = _DatabaseErrorTranslation()


def translate_database_errors() -> _DatabaseErrorTranslation:
    """Turn "the database is not there" into a 503; anything else is a bug and stays one."""
    return _TRANSLATION


class AsyncEngineDatabase:
    """Any backend with an async driver (asyncpg): a pool of connections, one per request."""

    def __init__(self, settings: Settings) -> None:
        self._timeout = settings.database_timeout
        url = make_url(settings.database_url)
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() == "postgresql":
            connect_args = {"timeout": settings.database_timeout}
        self._engine: AsyncEngine = create_async_engine(
            url,
            pool_size=settings.pool_size,
            max_overflow=settings.pool_max_overflow,
            pool_timeout=settings.database_timeout,
            connect_args=connect_args,
        )
        self._autocommit = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._abandoned: set[asyncio.Future[Any]] = set()

    async def read(self, work: Work[T]) -> T:
        return await self._run(work, read_only=True)

    async def write(self, work: Work[T]) -> T:
        return await self._run(work, read_only=False)

    async def _run(self, work: Work[T], *, read_only: bool) -> T:
        # The work runs as a task of its own so that a timeout answers at once: when
        # cancelled, SQLAlchemy closes a stalled asyncpg connection gracefully, which
        # may take seconds more; that clean-up finishes in the background.
        runner = self._run_alone if read_only else self._run_in_transaction
        task = asyncio.ensure_future(runner(work))
        try:
            done, _ = await asyncio.wait({task}, timeout=self._timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not done:
            task.cancel()
            self._abandoned.add(task)
            task.add_done_callback(self._abandoned.discard)
            logger.warning("database did not answer within %s s", self._timeout)
            raise DatabaseUnavailable()
        with translate_database_errors():
            return task.result()

    async def _run_in_transaction(self, work: Work[T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(_with_runner, work)

    async def _run_alone(self, work: Work[T]) -> T:
        # A read is one statement: in autocommit it is its own snapshot, without the
        # BEGIN and COMMIT round trips a transaction would add to it.
        async with self._autocommit.connect() as connection:
            return await connection.run_sync(_with_runner, work)

    async def check_health(self) -> None:
        await _checked(self.read(repository.check_schema))

    async def close(self) -> None:
        for task in list(self._abandoned):
            with contextlib.suppress(BaseException):
                await task
        await self._engine.dispose()


async def _checked(probe: Awaitable[None]) -> None:
    """A health probe: any failure, a missing table included, means "not available"."""
    try:
        await probe
    except NotesError:
        raise
    except Exception as error:
        logger.warning("health probe failed: %s", type(error).__name__, exc_info=error)
        raise DatabaseUnavailable() from error


def _with_runner(connection: Connection, work: Work[T]) -> T:
    return work(StatementRunner(connection, None))


@dataclasses.dataclass(slots=True)
class _Job:
    work: Work[Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]

    def settle(self, result: Any = None, error: BaseException | None = None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self.loop.call_soon_threadsafe(_settle, self.future, result, error)


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

    def __init__(self, name: str, engine: Engine, *, max_batch: int, writes: bool) -> None:
        super().__init__(name=name, daemon=True)
        self.jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._engine = engine
        self._max_batch = max_batch
        # Writes: a failed batch is retried job by job. Reads change nothing, and a
        # batch of them shares one read transaction (`_begin_read_transaction`).
        self._writes = writes

    def run(self) -> None:
        cache = SqliteStatementCache()
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
                self._run_batch(StatementRunner(connection, cache), jobs)
            except Exception as error:
                for job in jobs:
                    job.settle(error=error)
                if connection is not None:
                    connection.invalidate()
                    connection.close()
                    connection = None
            if stop:
                break
        if connection is not None:
            connection.close()

    def _run_batch(self, runner: StatementRunner, jobs: list[_Job]) -> None:
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
        except Exception:
            if not self._writes:
                raise
            logger.warning("a batch of %d writes failed; retrying them one by one", len(jobs))
            for job in jobs:
                self._run_alone(runner, job)
            return
        for job, (result, error) in zip(jobs, outcomes, strict=True):
            job.settle(result, error)

    @staticmethod
    def _run_alone(runner: StatementRunner, job: _Job) -> None:
        try:
            with runner.connection.begin():
                result = job.work(runner)
        except Exception as error:
            job.settle(error=error)
        else:
            job.settle(result)


def _begin_read_transaction(connection: Connection) -> None:
    """BEGIN on SQLite's own handle, for a batch of reads: they share one snapshot,
    taken when every one of them had been asked for, and the WAL read lock is taken
    once, not once a read (a point read 8.8 -> 4.1 us in a batch of 32, measured
    in-process). The batch's commit ends it."""
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


class SqliteDatabase:
    """One writer thread (BEGIN IMMEDIATE, group commit) and one reader thread (WAL).

    A read that is alone in the reader's queue runs in autocommit; reads queued
    together run in one read transaction, and so see one snapshot.
    """

    def __init__(self, settings: Settings) -> None:
        self._timeout = settings.database_timeout
        self._engines = (
            _sqlite_engine(settings, begin="BEGIN IMMEDIATE"),
            # A read alone is one SELECT: in autocommit it is its own snapshot, and it
            # spares a BEGIN and a COMMIT.
            _sqlite_engine(settings, begin=None),
        )
        self._writer = _SqliteWorker(
            "notes-sqlite-writer", self._engines[0], max_batch=MAX_WRITE_BATCH, writes=True
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

    async def write(self, work: Work[T]) -> T:
        return await self._submit(self._writer, work)

    async def check_health(self) -> None:
        await _checked(self.read(repository.check_schema))
        await _checked(self.write(repository.touch_sqlite_header))

    async def _submit(self, worker: _SqliteWorker, work: Work[T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        worker.jobs.put(_Job(work, loop, future))
        # Not asyncio.wait_for (3 us a request, measured here), nor a timer each (1.8 us).
        self._deadlines[worker].watch(loop, future)
        with translate_database_errors():
            return await future

    async def close(self) -> None:
        for worker in (self._writer, self._reader):
            worker.jobs.put(_STOP)
        for worker in (self._writer, self._reader):
            await asyncio.to_thread(worker.join, self._timeout)
            self._deadlines[worker].close()
        for engine in self._engines:
            engine.dispose()
