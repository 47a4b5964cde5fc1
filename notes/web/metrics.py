"""Prometheus metrics (`NOTES_METRICS=on`): requests, the concurrency limit, problems,
and the database, as `prometheus-client` keeps them, served at `/metrics`.

Each application has a registry of its own (no global state). Under `--workers N`
the supervisor sets `PROMETHEUS_MULTIPROC_DIR` for its workers: every process then
writes its figures to files there, and `/metrics`, whichever worker answers it, sums
them all (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from notes.domain.observer import Operation
from notes.web.middlewares import PROBLEM_TYPE
from notes.web.route_template import route_template

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
OVERLOADED = "Overloaded"
# Any other method is one label, so that a client cannot make series at will.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
# Requests: 1 ms to 10 s; a database wait the same; a SQLite commit (an fsync) from
# 0.1 ms; batches up to the writer's limit of 64.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COMMIT_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


def status_class(status: int) -> str:
    return _STATUS_CLASSES[status // 100 - 1] if 100 <= status < 600 else "other"


class Metrics:
    """The service's metrics, and the `DatabaseObserver` that storage reports to."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess_dir = multiprocess_dir
        labels = ("method", "route", "status")
        kept: dict[str, Any] = {"registry": self.registry}
        self.duration = Histogram(
            "notes_http_request_duration_seconds",
            "Time from a request's arrival in the application to its answer; its _count "
            "is the number of requests answered.",
            labels,
            buckets=REQUEST_BUCKETS,
            **kept,
        )
        self.in_flight = Gauge(
            "notes_http_requests_in_flight",
            "Requests being handled now.",
            multiprocess_mode="livesum",
            **kept,
        )
        self.refused = Counter(
            "notes_http_requests_refused",
            "Requests refused by the concurrency limit (503 with Retry-After).",
            **kept,
        )
        self.problems = Counter(
            "notes_http_problems",
            "Error answers (problem+json), by what went wrong.",
            ("type",),
            **kept,
        )
        self.database_wait = Histogram(
            "notes_database_wait_seconds",
            "Time a request waited for the database to run its unit of work.",
            ("operation",),
            buckets=REQUEST_BUCKETS,
            **kept,
        )
        self.sqlite_batch = Histogram(
            "notes_sqlite_write_batch_size",
            "Writes committed together by SQLite's writer (group commit).",
            buckets=BATCH_BUCKETS,
            **kept,
        )
        self.sqlite_commit = Histogram(
            "notes_sqlite_commit_seconds",
            "Time SQLite's COMMIT of a batch of writes took.",
            buckets=COMMIT_BUCKETS,
            **kept,
        )
        pool: dict[str, Any] = {"multiprocess_mode": "livesum", **kept}
        self.pool_open = Gauge(
            "notes_postgres_pool_connections", "PostgreSQL connections open.", **pool
        )
        self.pool_checked_out = Gauge(
            "notes_postgres_pool_checked_out", "PostgreSQL connections in use.", **pool
        )
        self.pool_overflow = Gauge(
            "notes_postgres_pool_overflow",
            "PostgreSQL connections open beyond the pool's size.",
            **pool,
        )
        self.pool_waiting = Gauge(
            "notes_postgres_pool_waiting",
            "Units of work waiting for a PostgreSQL connection.",
            **pool,
        )
        self._waits = {
            operation: self.database_wait.labels(operation) for operation in ("read", "write")
        }
        # A label lookup costs more than the observation: each series' child, once.
        self._children: dict[tuple[str, str, int], Any] = {}

    @classmethod
    def from_environment(cls) -> Metrics:
        return cls(os.environ.get(MULTIPROCESS_DIR_ENV) or None)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            labels = (method if method in _METHODS else "other", route, status_class(status))
            child = self._children[key] = self.duration.labels(*labels)
        child.observe(seconds)

    # DatabaseObserver
    def waited(self, operation: Operation, seconds: float) -> None:
        self._waits[operation].observe(seconds)

    def write_batch(self, size: int, commit_seconds: float) -> None:
        self.sqlite_batch.observe(size)
        self.sqlite_commit.observe(commit_seconds)

    def pool(self, *, size: int, checked_out: int, overflow: int, waiting: int) -> None:
        self.pool_open.set(size)
        self.pool_checked_out.set(checked_out)
        self.pool_overflow.set(overflow)
        self.pool_waiting.set(waiting)

    def exposition(self) -> bytes:
        """The text format of every figure: this process's, or all workers'."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        collected = CollectorRegistry()
        MultiProcessCollector(collected, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(collected)


def metrics_middleware(metrics: Metrics) -> Middleware:
    """Counts and times every answer; sits outside the problem middleware, so that
    error answers (the concurrency limit's 503 among them) are counted as sent."""
    in_flight = 0
    # One process: the gauge reads our count when scraped, and a request pays an
    # integer's increment, not the gauge's lock twice. Several: each process writes
    # its figure to its file, for the others to sum.
    counted = metrics.multiprocess_dir is not None
    if not counted:
        metrics.in_flight.set_function(lambda: in_flight)

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight
        started = time.perf_counter()
        status: int | None = None  # stays None for a request cancelled (client gone)
        in_flight += 1
        if counted:
            metrics.in_flight.inc()
        try:
            response = await handler(request)
            status = response.status
            if status >= 400:
                problem = response.get(PROBLEM_TYPE)
                if problem is not None:
                    metrics.problems.labels(problem).inc()
                    if problem == OVERLOADED:
                        metrics.refused.inc()
            return response
        except web.HTTPException as error:  # not made a problem: a redirect, say
            status = error.status
            raise
        finally:
            in_flight -= 1
            if counted:
                metrics.in_flight.dec()
            if status is not None:
                elapsed = time.perf_counter() - started
                metrics.observe_request(request.method, route_template(request), status, elapsed)

    return observe


def metrics_handler(metrics: Metrics) -> Handler:
    async def serve_metrics(request: web.Request) -> web.Response:
        # Off the event loop: in multiprocess mode it reads every worker's files.
        body = await asyncio.to_thread(metrics.exposition)
        return web.Response(body=body, headers={hdrs.CONTENT_TYPE: CONTENT_TYPE_LATEST})

    return serve_metrics
