"""Configuration, read in one place: pydantic-settings over NOTES_* variables and `.env`.

``Settings(...)`` takes values as given (tests, embedding) and the environment for the
rest; ``Settings.from_environment(**flags)`` is what the CLI uses: flags win over
``NOTES_*`` variables, which win over a ``.env`` file in the current folder, which wins
over the defaults. A bad value is a ``SettingsError`` that names the variable.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal, Self

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
SQLITE_SYNCHRONOUS_MODES: tuple[SqliteSynchronous, ...] = ("OFF", "NORMAL", "FULL", "EXTRA")

ENV_PREFIX = "NOTES_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///notes.db"
DOTENV_FILE = ".env"

Positive = Annotated[int, Field(gt=0)]
PositiveSeconds = Annotated[float, Field(gt=0)]
LogFormat = Literal["text", "json"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# A list in one variable, comma-separated (not JSON, as pydantic-settings would read it).
CommaSeparated = Annotated[tuple[str, ...], NoDecode]


# What a browser sends in Origin: scheme://host[:port], nothing after.
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#\s]+")


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """Everything the service can be configured with.

    Each field is read from the environment variable ``NOTES_<FIELD NAME>``.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", validate_default=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: Annotated[int, Field(gt=0, le=65535)] = 8080
    access_log: bool = True
    # None: migrate SQLite on start (the first run just works), leave other
    # backends to `notes db upgrade` so that many workers never race on DDL.
    auto_migrate: bool | None = None
    max_body_size: Positive = 1024 * 1024
    default_page_size: Positive = 100
    max_page_size: Positive = 1000
    # Seconds a request may wait for the database before it gets a 503.
    database_timeout: PositiveSeconds = 5.0
    # PostgreSQL connection pool.
    pool_size: Positive = 10
    pool_max_overflow: Annotated[int, Field(ge=0)] = 5
    # FULL survives a power loss; NORMAL (in WAL mode) survives a process kill only.
    sqlite_synchronous: SqliteSynchronous = "FULL"
    # Seconds SQLite waits for another process's lock before giving up.
    sqlite_busy_timeout: PositiveSeconds = 5.0
    # Seconds a client may take to send a request body (408 after).
    request_timeout: PositiveSeconds = 30.0
    # Seconds a listing's statement may run before it is stopped: 503 (v1.1, LIST-24).
    list_time_budget: PositiveSeconds = 0.5
    # How long a create's Idempotency-Key and its answer are kept (v1.1, IDEM-5).
    idempotency_ttl: PositiveSeconds = 24 * 60 * 60.0
    # Seconds an idle keep-alive connection stays open.
    keepalive_timeout: PositiveSeconds = 75.0
    # Requests handled at once per process; more are refused with 503 and Retry-After.
    max_concurrent_requests: Positive = 1024
    # Signs listing cursors; give every process of a deployment the same one.
    cursor_secret: str = ""
    # Seconds in-flight requests get to finish on SIGTERM.
    shutdown_timeout: Annotated[float, Field(ge=0)] = 30.0

    # Users and tokens (v1.1)
    # none: v1, open, every note is everyone's; token: every /notes request needs the
    # bearer token of a user (`notes users add`), who reaches only their own notes.
    auth: Literal["none", "token"] = "none"
    # Lets `--auth none` listen beyond loopback, where anyone who reaches the port can
    # read, change and delete every note.
    insecure_open_to_network: bool = False
    # Seconds a process may go on accepting a token after it was revoked or rotated
    # (each process caches the tokens it has seen for this long; 0: no cache).
    auth_cache_seconds: Annotated[float, Field(ge=0, le=60)] = 1.0
    # Failed token checks from one client address within the window, after which that
    # address gets 429 with Retry-After until the window ends (counted per process).
    auth_failure_limit: Positive = 20
    auth_failure_window: PositiveSeconds = 60.0
    # How many client addresses the failure count remembers at most: its memory bound.
    auth_failure_clients: Positive = 10_000

    # Operations
    # /metrics (Prometheus text format) on the service's own port; off by default.
    metrics: bool = False
    # The log lines' format: `text` for people, `json` (one object a line) for collectors.
    log_format: LogFormat = "text"
    # Addresses and networks whose X-Forwarded-* / Forwarded headers are believed.
    trusted_proxies: Annotated[tuple[Network, ...], NoDecode] = ()
    # Origins that browsers may call the API from (CORS); none by default.
    cors_origins: CommaSeparated = ()

    @field_validator("access_log", "auto_migrate", mode="before")
    @classmethod
    def _boolean_text(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if info.field_name == "auto_migrate" and text.lower() in {"", "auto"}:
            return None
        return text

    @field_validator("trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("cors_origins", mode="after")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port]) or *")
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _page_sizes_agree(self) -> Self:
        if self.default_page_size > self.max_page_size:
            raise ValueError(
                f"{ENV_PREFIX}DEFAULT_PAGE_SIZE must not exceed {ENV_PREFIX}MAX_PAGE_SIZE"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def migrates_on_start(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate

    @classmethod
    def from_environment(cls, *, env_file: str | None = DOTENV_FILE, **flags: Any) -> Settings:
        """Settings as the CLI reads them: flags that were given (not None) win over
        NOTES_* variables, which win over `env_file`, which wins over the defaults."""
        given = {name: value for name, value in flags.items() if value is not None}
        try:
            return cls(_env_file=env_file, **given)
        except ValidationError as error:
            raise SettingsError(describe(error)) from None


def describe(error: ValidationError) -> str:
    """One line a problem, each naming the variable that holds the bad value."""
    lines = []
    for problem in error.errors(include_url=False):
        message = str(problem["msg"]).removeprefix("Value error, ")
        if not problem["loc"]:  # a rule between fields: the message names them
            lines.append(message)
            continue
        name = f"{ENV_PREFIX}{str(problem['loc'][0]).upper()}"
        lines.append(f"{name}: {message}, got {problem['input']!r}")
    return "; ".join(lines)
