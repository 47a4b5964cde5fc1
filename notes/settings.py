"""Configuration, read in one place: environment variables, then defaults."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Literal

SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
SQLITE_SYNCHRONOUS_MODES: tuple[SqliteSynchronous, ...] = ("OFF", "NORMAL", "FULL", "EXTRA")

ENV_PREFIX = "NOTES_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///notes.db"


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the key."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the service can be configured with.

    Each field is read from the environment variable ``NOTES_<FIELD NAME>``.
    """

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    access_log: bool = True
    # None: migrate SQLite on start (the first run just works), leave other
    # backends to `notes db upgrade` so that many workers never race on DDL.
    auto_migrate: bool | None = None
    max_body_size: int = 1024 * 1024
    default_page_size: int = 100
    max_page_size: int = 1000
    # Seconds a request may wait for the database before it gets a 503.
    database_timeout: float = 5.0
    # PostgreSQL connection pool.
    pool_size: int = 10
    pool_max_overflow: int = 5
    # FULL survives a power loss; NORMAL (in WAL mode) survives a process kill only.
    sqlite_synchronous: SqliteSynchronous = "FULL"
    # Seconds SQLite waits for another process's lock before giving up.
    sqlite_busy_timeout: float = 5.0
    # Seconds a client may take to send a request body (408 after).
    request_timeout: float = 30.0
    # Seconds an idle keep-alive connection stays open.
    keepalive_timeout: float = 75.0
    # Requests handled at once per process; more are refused with 503 and Retry-After.
    max_concurrent_requests: int = 1024
    # Signs listing cursors; give every process of a deployment the same one.
    cursor_secret: str = ""
    # Seconds in-flight requests get to finish on SIGTERM.
    shutdown_timeout: float = 30.0

    def __post_init__(self) -> None:
        positive = (
            "port",
            "max_body_size",
            "default_page_size",
            "max_page_size",
            "database_timeout",
            "pool_size",
            "sqlite_busy_timeout",
            "request_timeout",
            "keepalive_timeout",
            "max_concurrent_requests",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be positive")
        if self.pool_max_overflow < 0 or self.shutdown_timeout < 0:
            raise SettingsError(
                f"{ENV_PREFIX}POOL_MAX_OVERFLOW and {ENV_PREFIX}SHUTDOWN_TIMEOUT "
                "must not be negative"
            )
        if self.default_page_size > self.max_page_size:
            raise SettingsError(
                f"{ENV_PREFIX}DEFAULT_PAGE_SIZE must not exceed {ENV_PREFIX}MAX_PAGE_SIZE"
            )
        if self.sqlite_synchronous not in SQLITE_SYNCHRONOUS_MODES:
            raise SettingsError(
                f"{ENV_PREFIX}SQLITE_SYNCHRONOUS must be one of "
                + ", ".join(SQLITE_SYNCHRONOUS_MODES)
            )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def migrates_on_start(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from ``NOTES_*`` variables; ``overrides`` (e.g. CLI flags) win."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            key = ENV_PREFIX + field.name.upper()
            if key in environ:
                values[field.name] = _parse(key, environ[key], field.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse(key: str, raw: str, annotation: object) -> object:
    kind = str(annotation)
    text = raw.strip()
    if kind.startswith("bool"):
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        if kind == "bool | None" and lowered in {"", "auto"}:
            return None
        raise SettingsError(f"{key} must be a boolean (true/false), got {raw!r}")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise SettingsError(f"{key} must be an integer, got {raw!r}") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise SettingsError(f"{key} must be a number, got {raw!r}") from None
    if kind == "SqliteSynchronous":
        return text.upper()
    return raw
