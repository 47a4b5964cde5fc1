"""Configuration: NOTES_* variables parsed by type, flags winning, bad values named."""

from __future__ import annotations

import dataclasses

import pytest

from notes.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert dataclasses.asdict(settings) == {
        "database_url": "sqlite+aiosqlite:///notes.db",
        "host": "127.0.0.1",
        "port": 8080,
        "access_log": True,
        "auto_migrate": None,
        "max_body_size": 1048576,
        "default_page_size": 100,
        "max_page_size": 1000,
        "database_timeout": 5.0,
        "pool_size": 10,
        "pool_max_overflow": 5,
        "sqlite_synchronous": "FULL",
        "sqlite_busy_timeout": 5.0,
        "shutdown_timeout": 30.0,
    } | {name: getattr(settings, name) for name in _extra_fields()}
    assert DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///notes.db"


def _extra_fields() -> list[str]:
    known = {
        "database_url",
        "host",
        "port",
        "access_log",
        "auto_migrate",
        "max_body_size",
        "default_page_size",
        "max_page_size",
        "database_timeout",
        "pool_size",
        "pool_max_overflow",
        "sqlite_synchronous",
        "sqlite_busy_timeout",
        "shutdown_timeout",
    }
    return [field.name for field in dataclasses.fields(Settings) if field.name not in known]


def test_every_type_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "NOTES_DATABASE_URL": "postgresql+asyncpg://u@h/db",
            "NOTES_HOST": "0.0.0.0",
            "NOTES_PORT": " 9090 ",
            "NOTES_ACCESS_LOG": "off",
            "NOTES_AUTO_MIGRATE": "yes",
            "NOTES_MAX_BODY_SIZE": "2048",
            "NOTES_DEFAULT_PAGE_SIZE": "10",
            "NOTES_MAX_PAGE_SIZE": "20",
            "NOTES_DATABASE_TIMEOUT": "0.25",
            "NOTES_POOL_SIZE": "3",
            "NOTES_POOL_MAX_OVERFLOW": "0",
            "NOTES_SQLITE_SYNCHRONOUS": " normal ",
            "NOTES_SQLITE_BUSY_TIMEOUT": "1.5",
            "NOTES_SHUTDOWN_TIMEOUT": "0",
            "OTHER_PORT": "1",
            "PORT": "2",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.host == "0.0.0.0"
    assert settings.port == 9090
    assert settings.access_log is False
    assert settings.auto_migrate is True
    assert settings.max_body_size == 2048
    assert settings.default_page_size == 10
    assert settings.max_page_size == 20
    assert settings.database_timeout == 0.25
    assert settings.pool_size == 3
    assert settings.pool_max_overflow == 0
    assert settings.sqlite_synchronous == "NORMAL"
    assert settings.sqlite_busy_timeout == 1.5
    assert settings.shutdown_timeout == 0.0


def test_strings_are_kept_as_given() -> None:
    assert Settings.from_env({"NOTES_HOST": " ::1 "}).host == " ::1 "


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "Yes", "on", " on "])
def test_true_values(text: str) -> None:
    assert Settings.from_env({"NOTES_ACCESS_LOG": text}).access_log is True
    assert Settings.from_env({"NOTES_AUTO_MIGRATE": text}).auto_migrate is True


@pytest.mark.parametrize("text", ["0", "false", "False", "NO", "off"])
def test_false_values(text: str) -> None:
    assert Settings.from_env({"NOTES_ACCESS_LOG": text}).access_log is False
    assert Settings.from_env({"NOTES_AUTO_MIGRATE": text}).auto_migrate is False


@pytest.mark.parametrize("text", ["", "auto", "AUTO", " auto "])
def test_auto_migrate_auto(text: str) -> None:
    assert Settings.from_env({"NOTES_AUTO_MIGRATE": text}).auto_migrate is None


@pytest.mark.parametrize("text", ["", "auto", "maybe", "2", "y"])
def test_bad_boolean(text: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"NOTES_ACCESS_LOG": text})
    assert str(caught.value) == f"NOTES_ACCESS_LOG must be a boolean (true/false), got {text!r}"


def test_bad_auto_migrate() -> None:
    with pytest.raises(SettingsError, match=r"^NOTES_AUTO_MIGRATE must be a boolean"):
        Settings.from_env({"NOTES_AUTO_MIGRATE": "maybe"})


@pytest.mark.parametrize(
    ("key", "text", "kind"),
    [
        ("NOTES_PORT", "abc", "an integer"),
        ("NOTES_PORT", "80.5", "an integer"),
        ("NOTES_PORT", "", "an integer"),
        ("NOTES_MAX_BODY_SIZE", "1e6", "an integer"),
        ("NOTES_DEFAULT_PAGE_SIZE", "ten", "an integer"),
        ("NOTES_MAX_PAGE_SIZE", "x", "an integer"),
        ("NOTES_POOL_SIZE", "x", "an integer"),
        ("NOTES_POOL_MAX_OVERFLOW", "x", "an integer"),
        ("NOTES_DATABASE_TIMEOUT", "soon", "a number"),
        ("NOTES_SQLITE_BUSY_TIMEOUT", "", "a number"),
        ("NOTES_SHUTDOWN_TIMEOUT", "1s", "a number"),
    ],
)
def test_bad_numbers_name_the_key(key: str, text: str, kind: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({key: text})
    assert str(caught.value) == f"{key} must be {kind}, got {text!r}"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_overrides_win_over_the_environment() -> None:
    environ = {
        "NOTES_HOST": "0.0.0.0",
        "NOTES_PORT": "9090",
        "NOTES_DATABASE_URL": "sqlite+aiosqlite:///env.db",
        "NOTES_ACCESS_LOG": "true",
    }
    settings = Settings.from_env(
        environ,
        host="10.0.0.1",
        port=7070,
        database_url="sqlite+aiosqlite:///flag.db",
        access_log=False,
    )
    assert (settings.host, settings.port) == ("10.0.0.1", 7070)
    assert settings.database_url == "sqlite+aiosqlite:///flag.db"
    assert settings.access_log is False


def test_none_overrides_leave_the_environment() -> None:
    settings = Settings.from_env(
        {"NOTES_PORT": "9090", "NOTES_HOST": "0.0.0.0"}, port=None, host=None, access_log=None
    )
    assert (settings.port, settings.host, settings.access_log) == (9090, "0.0.0.0", True)


def test_overrides_apply_without_environment() -> None:
    assert Settings.from_env({}, port=1).port == 1


def test_a_bad_variable_is_an_error_even_when_a_flag_overrides_it() -> None:
    with pytest.raises(SettingsError, match=r"^NOTES_PORT must be an integer"):
        Settings.from_env({"NOTES_PORT": "x"}, port=1)


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTES_PORT", "6543")
    monkeypatch.setenv("NOTES_HOST", "example")
    settings = Settings.from_env()
    assert (settings.port, settings.host) == (6543, "example")


@pytest.mark.parametrize(
    "name",
    [
        "port",
        "max_body_size",
        "default_page_size",
        "max_page_size",
        "database_timeout",
        "pool_size",
        "sqlite_busy_timeout",
    ],
)
def test_positive_values(name: str) -> None:
    lowest: int | float = 1 if isinstance(getattr(Settings(), name), int) else 0.001
    extra = {"default_page_size": 1} if name == "max_page_size" else {}
    assert getattr(Settings(**{name: lowest, **extra}), name) == lowest  # type: ignore[arg-type]
    for bad in (0, -1):
        with pytest.raises(SettingsError) as caught:
            Settings(**{name: bad})  # type: ignore[arg-type]
        assert str(caught.value) == f"NOTES_{name.upper()} must be positive"


def test_positive_checked_from_the_environment() -> None:
    with pytest.raises(SettingsError, match=r"^NOTES_PORT must be positive$"):
        Settings.from_env({"NOTES_PORT": "0"})


@pytest.mark.parametrize(("name", "value"), [("pool_max_overflow", -1), ("shutdown_timeout", -0.5)])
def test_not_negative(name: str, value: float) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings(**{name: value})  # type: ignore[arg-type]
    assert str(caught.value) == (
        "NOTES_POOL_MAX_OVERFLOW and NOTES_SHUTDOWN_TIMEOUT must not be negative"
    )
    assert Settings(**{name: 0}).__getattribute__(name) == 0  # type: ignore[arg-type]


def test_page_sizes() -> None:
    assert Settings(default_page_size=5, max_page_size=5).default_page_size == 5
    with pytest.raises(SettingsError) as caught:
        Settings(default_page_size=6, max_page_size=5)
    assert str(caught.value) == "NOTES_DEFAULT_PAGE_SIZE must not exceed NOTES_MAX_PAGE_SIZE"
    with pytest.raises(SettingsError):
        Settings(max_page_size=99)  # below the default page size of 100


@pytest.mark.parametrize("mode", ["OFF", "NORMAL", "FULL", "EXTRA"])
def test_sqlite_synchronous_modes(mode: str) -> None:
    assert Settings.from_env({"NOTES_SQLITE_SYNCHRONOUS": mode.lower()}).sqlite_synchronous == mode


@pytest.mark.parametrize("mode", ["", "WAL", "FAST", "1"])
def test_bad_sqlite_synchronous(mode: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"NOTES_SQLITE_SYNCHRONOUS": mode})
    assert str(caught.value) == ("NOTES_SQLITE_SYNCHRONOUS must be one of OFF, NORMAL, FULL, EXTRA")


@pytest.mark.parametrize(
    ("url", "auto_migrate", "is_sqlite", "migrates"),
    [
        ("sqlite+aiosqlite:///notes.db", None, True, True),
        ("sqlite+aiosqlite:///notes.db", False, True, False),
        ("sqlite+aiosqlite:///notes.db", True, True, True),
        ("sqlite:///notes.db", None, True, True),
        ("postgresql+asyncpg://u@h/db", None, False, False),
        ("postgresql+asyncpg://u@h/db", True, False, True),
        ("postgresql+asyncpg://u@h/db", False, False, False),
    ],
)
def test_migrates_on_start(
    url: str, auto_migrate: bool | None, is_sqlite: bool, migrates: bool
) -> None:
    settings = Settings(database_url=url, auto_migrate=auto_migrate)
    assert settings.is_sqlite is is_sqlite
    assert settings.migrates_on_start is migrates


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().port = 1  # type: ignore[misc]


def test_cursor_secret_is_a_string() -> None:
    assert Settings().cursor_secret == ""
    assert Settings.from_env({"NOTES_CURSOR_SECRET": " s3cret "}).cursor_secret == " s3cret "
