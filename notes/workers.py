"""Several server processes on one port: SO_REUSEPORT, and a supervisor that keeps them up.

Why not gunicorn: each worker is the very `notes serve` process (same loop, same
signals, same settings), the kernel spreads connections across the workers' sockets
evenly, and one process less stands between a signal and the workers. The supervisor
only starts workers, replaces one that dies, and on SIGTERM/SIGINT passes the signal
on and waits for every worker to drain.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.process
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from types import FrameType

from prometheus_client.multiprocess import mark_process_dead

from notes.settings import Settings
from notes.storage.migrations import upgrade_database

logger = logging.getLogger(__name__)
# A worker that dies sooner than this after its start is failing, not crashing once:
# wait before the next try rather than spin.
RESTART_BACKOFF = 1.0
POLL_INTERVAL = 0.2

WorkerTarget = Callable[[Settings], None]
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def metrics_directory(enabled: bool) -> Iterator[str | None]:
    """Where the workers' metrics meet (prometheus-client's multiprocess mode): a
    fresh folder, named to the workers through the environment they inherit, removed
    at the end. One the operator set already is used as it is, and kept."""
    given = os.environ.get(MULTIPROCESS_DIR_ENV)
    if not enabled or given:
        yield given or None
        return
    directory = tempfile.mkdtemp(prefix="notes-metrics-")
    os.environ[MULTIPROCESS_DIR_ENV] = directory
    try:
        yield directory
    finally:
        del os.environ[MULTIPROCESS_DIR_ENV]
        shutil.rmtree(directory, ignore_errors=True)


class Supervisor:
    def __init__(self, settings: Settings, target: WorkerTarget, workers: int) -> None:
        # Migrate once, here, so that workers never race each other on DDL.
        self._migrate = settings.migrates_on_start
        self._settings = settings.model_copy(update={"auto_migrate": False})
        self._target = target
        self._count = workers
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[multiprocessing.process.BaseProcess] = []
        self._stopping = False
        self._metrics_dir: str | None = None

    def _start_worker(self) -> multiprocessing.process.BaseProcess:
        process = self._context.Process(
            target=self._target, args=(self._settings,), name="notes-worker", daemon=False
        )
        process.start()
        logger.info("worker %s started", process.pid)
        return process

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True
        for process in self._workers:
            if process.pid is not None and process.is_alive():
                process.terminate()  # SIGTERM: the worker drains its requests, then exits

    def _forget(self, process: multiprocessing.process.BaseProcess) -> None:
        """A worker has ended: its gauges (in flight, pool) no longer count."""
        if self._metrics_dir is not None and process.pid is not None:
            mark_process_dead(process.pid, self._metrics_dir)  # type: ignore[no-untyped-call]

    def run(self) -> int:
        if self._migrate:
            upgrade_database(self._settings.database_url)
        with metrics_directory(self._settings.metrics) as directory:
            self._metrics_dir = directory
            return self._supervise()

    def _supervise(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        self._workers = [self._start_worker() for _ in range(self._count)]
        started = {id(process): time.monotonic() for process in self._workers}
        while not self._stopping:
            time.sleep(POLL_INTERVAL)
            for index, process in enumerate(self._workers):
                if process.is_alive() or self._stopping:
                    continue
                logger.warning(
                    "worker %s exited with %s; replacing it", process.pid, process.exitcode
                )
                self._forget(process)
                if time.monotonic() - started[id(process)] < RESTART_BACKOFF:
                    time.sleep(RESTART_BACKOFF)
                replacement = self._start_worker()
                started[id(replacement)] = time.monotonic()
                self._workers[index] = replacement
        deadline = time.monotonic() + self._settings.shutdown_timeout + 5
        clean = True
        for process in self._workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.error("worker %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join()
            self._forget(process)
            # Dying of SIGTERM itself is only possible before a worker installs its handler,
            # that is before it listens: nothing was in flight, so that stop is clean too.
            if process.exitcode not in (0, -signal.SIGTERM):
                logger.error("worker %s ended with %s", process.pid, process.exitcode)
                clean = False
        # Non-zero unless every worker drained and exited cleanly.
        return 0 if clean else 1
