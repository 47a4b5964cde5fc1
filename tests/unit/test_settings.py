"""Configuration: NOTES_* variables and `.env` read by pydantic-settings, flags winning,
bad values named by their variable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from notes.settings import DEFAULT_DATABASE_URL, Settings, SettingsError

FromEnvironment = Callable[..., Settings]


@pytest.fixture
def from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FromEnvironment:
    """`Settings.from_environment` with exactly these variables set, in an empty folder."""
    monkeypatch.chdir(tmp_path)

    def read(variables: dict[str, str], **flags: Any) -> Settings:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return Settings.from_environment(**flags)

    return read


def test_defaults(from_environment: FromEnvironment) -> None:
    settings = from_environment({})
    assert settings == Settings()
    assert settings.model_dump() == {
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
    return [name for name in Settings.model_fields if name not in known]


def test_every_type_read_from_the_environment(from_environment: FromEnvironment) -> None:
    settings = from_environment(
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


def test_strings_are_kept_as_given(from_environment: FromEnvironment) -> None:
    assert from_environment({"NOTES_HOST": " ::1 "}).host == " ::1 "


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "Yes", "on", " on "])
def test_true_values(from_environment: FromEnvironment, text: str) -> None:
    settings = from_environment({"NOTES_ACCESS_LOG": text, "NOTES_AUTO_MIGRATE": text})
    assert settings.access_log is True
    assert settings.auto_migrate is True


@pytest.mark.parametrize("text", ["0", "false", "False", "NO", "off"])
def test_false_values(from_environment: FromEnvironment, text: str) -> None:
    settings = from_environment({"NOTES_ACCESS_LOG": text, "NOTES_AUTO_MIGRATE": text})
    assert settings.access_log is False
    assert settings.auto_migrate is False


@pytest.mark.parametrize("text", ["", "auto", "AUTO", " auto "])
def test_auto_migrate_auto(from_environment: FromEnvironment, text: str) -> None:
    assert from_environment({"NOTES_AUTO_MIGRATE": text}).auto_migrate is None


@pytest.mark.parametrize("text", ["", "auto", "maybe", "2"])
def test_bad_boolean(from_environment: FromEnvironment, text: str) -> None:
    with pytest.raises(SettingsError) as caught:
        from_environment({"NOTES_ACCESS_LOG": text})
    assert str(caught.value).startswith("NOTES_ACCESS_LOG: Input should be a valid boolean")
    assert str(caught.value).endswith(f"got {text!r}")


def test_bad_auto_migrate(from_environment: FromEnvironment) -> None:
    with pytest.raises(SettingsError, match=r"^NOTES_AUTO_MIGRATE: .*boolean.*'maybe'$"):
        from_environment({"NOTES_AUTO_MIGRATE": "maybe"})


@pytest.mark.parametrize(
    ("key", "text", "kind"),
    [
        ("NOTES_PORT", "abc", "integer"),
        ("NOTES_PORT", "80.5", "integer"),
        ("NOTES_PORT", "", "integer"),
        ("NOTES_MAX_BODY_SIZE", "1e6", "integer"),
        ("NOTES_DEFAULT_PAGE_SIZE", "ten", "integer"),
        ("NOTES_MAX_PAGE_SIZE", "x", "integer"),
        ("NOTES_POOL_SIZE", "x", "integer"),
        ("NOTES_POOL_MAX_OVERFLOW", "x", "integer"),
        ("NOTES_DATABASE_TIMEOUT", "soon", "number"),
        ("NOTES_SQLITE_BUSY_TIMEOUT", "", "number"),
        ("NOTES_SHUTDOWN_TIMEOUT", "1s", "number"),
    ],
)
def test_bad_numbers_name_the_variable(
    from_environment: FromEnvironment, key: str, text: str, kind: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        from_environment({key: text})
    message = str(caught.value)
    assert message.startswith(f"{key}: ")
    assert kind in message
    assert message.endswith(f"got {text!r}")
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_every_bad_variable_is_named_at_once(from_environment: FromEnvironment) -> None:
    with pytest.raises(SettingsError) as caught:
        from_environment({"NOTES_PORT": "x", "NOTES_POOL_SIZE": "0"})
    assert "NOTES_PORT: " in str(caught.value)
    assert "NOTES_POOL_SIZE: " in str(caught.value)


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_flags_win_over_the_environment(from_environment: FromEnvironment) -> None:
    environ = {
        "NOTES_HOST": "0.0.0.0",
        "NOTES_PORT": "9090",
        "NOTES_DATABASE_URL": "sqlite+aiosqlite:///env.db",
        "NOTES_ACCESS_LOG": "true",
    }
    settings = from_environment(
        environ,
        host="10.0.0.1",
        port=7070,
        database_url="sqlite+aiosqlite:///flag.db",
        access_log=False,
    )
    assert (settings.host, settings.port) == ("10.0.0.1", 7070)
    assert settings.database_url == "sqlite+aiosqlite:///flag.db"
    assert settings.access_log is False


def test_flags_not_given_leave_the_environment(from_environment: FromEnvironment) -> None:
    settings = from_environment(
        {"NOTES_PORT": "9090", "NOTES_HOST": "0.0.0.0"}, port=None, host=None, access_log=None
    )
    assert (settings.port, settings.host, settings.access_log) == (9090, "0.0.0.0", True)


def test_flags_apply_without_environment(from_environment: FromEnvironment) -> None:
    assert from_environment({}, port=1).port == 1


def test_a_dotenv_file_in_the_current_folder(
    from_environment: FromEnvironment, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("NOTES_PORT=7001\nNOTES_HOST=from-dotenv\nOTHER=1\n")
    settings = from_environment({"NOTES_HOST": "from-environment"})
    assert settings.port == 7001
    assert settings.host == "from-environment"  # the environment wins over the file
    assert from_environment({}, port=7002).port == 7002  # and a flag over both
    assert Settings.from_environment(env_file=None).port == 8080


def test_a_bad_value_in_the_dotenv_file_is_named(
    from_environment: FromEnvironment, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("NOTES_MAX_BODY_SIZE=big\n")
    with pytest.raises(SettingsError, match=r"^NOTES_MAX_BODY_SIZE: .*'big'$"):
        from_environment({})


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
        "request_timeout",
        "keepalive_timeout",
        "max_concurrent_requests",
    ],
)
def test_positive_values(name: str) -> None:
    lowest: int | float = 1 if isinstance(getattr(Settings(), name), int) else 0.001
    extra = {"default_page_size": 1} if name == "max_page_size" else {}
    assert getattr(Settings.model_validate({name: lowest, **extra}), name) == lowest
    for bad in (0, -1):
        with pytest.raises(ValidationError, match="greater than 0"):
            Settings.model_validate({name: bad})


def test_positive_checked_from_the_environment(from_environment: FromEnvironment) -> None:
    with pytest.raises(SettingsError, match=r"^NOTES_PORT: .*greater than 0, got '0'$"):
        from_environment({"NOTES_PORT": "0"})


def test_ports_end_at_65535() -> None:
    assert Settings(port=65535).port == 65535
    with pytest.raises(ValidationError):
        Settings(port=65536)


@pytest.mark.parametrize(("name", "value"), [("pool_max_overflow", -1), ("shutdown_timeout", -0.5)])
def test_not_negative(name: str, value: float) -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Settings.model_validate({name: value})
    assert getattr(Settings.model_validate({name: 0}), name) == 0


def test_page_sizes(from_environment: FromEnvironment) -> None:
    assert Settings(default_page_size=5, max_page_size=5).default_page_size == 5
    with pytest.raises(ValidationError, match="DEFAULT_PAGE_SIZE must not exceed"):
        Settings(default_page_size=6, max_page_size=5)
    with pytest.raises(ValidationError):
        Settings(max_page_size=99)  # below the default page size of 100
    with pytest.raises(SettingsError) as caught:
        from_environment({"NOTES_MAX_PAGE_SIZE": "99"})
    assert str(caught.value) == "NOTES_DEFAULT_PAGE_SIZE must not exceed NOTES_MAX_PAGE_SIZE"


@pytest.mark.parametrize("mode", ["OFF", "NORMAL", "FULL", "EXTRA"])
def test_sqlite_synchronous_modes(from_environment: FromEnvironment, mode: str) -> None:
    settings = from_environment({"NOTES_SQLITE_SYNCHRONOUS": mode.lower()})
    assert settings.sqlite_synchronous == mode


@pytest.mark.parametrize("mode", ["", "WAL", "FAST", "1"])
def test_bad_sqlite_synchronous(from_environment: FromEnvironment, mode: str) -> None:
    with pytest.raises(SettingsError) as caught:
        from_environment({"NOTES_SQLITE_SYNCHRONOUS": mode})
    assert str(caught.value).startswith(
        "NOTES_SQLITE_SYNCHRONOUS: Input should be 'OFF', 'NORMAL', 'FULL' or 'EXTRA'"
    )


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
    with pytest.raises(ValidationError, match="frozen"):
        Settings().port = 1  # type: ignore[misc]


def test_cursor_secret_is_a_string(from_environment: FromEnvironment) -> None:
    assert Settings().cursor_secret == ""
    assert from_environment({"NOTES_CURSOR_SECRET": " s3cret "}).cursor_secret == " s3cret "
