"""`notes users ...` and serve's refusal to be open beyond loopback (v1.1)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from notes import cli
from notes.accounts import exposure_refusal, is_loopback
from notes.domain.users import is_token, token_digest
from notes.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("NOTES_"):
            monkeypatch.delenv(key)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "users.db"
    monkeypatch.setenv("NOTES_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def users(capsys: pytest.CaptureFixture[str], *args: str, status: int = 0) -> tuple[str, str]:
    assert cli.main(["users", *args]) == status
    captured = capsys.readouterr()
    return captured.out, captured.err


@pytest.mark.rule("AUTH-8")
def test_add_prints_a_token_once_and_stores_its_digest(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = users(capsys, "add", "alice")
    token = out.strip()
    assert out == token + "\n"
    assert is_token(token)
    assert "shown this once" in err
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT name, admin, token_digest FROM users").fetchall()
    assert rows == [("alice", 0, token_digest(token))]
    listing, _ = users(capsys, "list")
    assert token not in listing
    assert token_digest(token) not in listing
    assert listing.splitlines()[1].split()[:3] == ["alice", "user", "active"]


def test_admin_rotate_and_revoke(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = users(capsys, "add", "root", "--admin")[0].strip()
    second = users(capsys, "rotate", "root")[0].strip()
    assert is_token(second)
    assert second != first
    assert users(capsys, "revoke", "root") == (
        "",
        "notes: 'root' is revoked; its token no longer works\n",
    )
    lines = users(capsys, "list")[0].splitlines()
    assert lines[1].split()[:3] == ["root", "admin", "revoked"]
    third = users(capsys, "rotate", "root")[0].strip()  # a new token brings a user back
    assert users(capsys, "list")[0].splitlines()[1].split()[:3] == ["root", "admin", "active"]
    with sqlite3.connect(database) as connection:
        (digest,) = connection.execute("SELECT token_digest FROM users").fetchone()
    assert digest == token_digest(third)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rotate", "nobody"), "notes: there is no user named 'nobody'\n"),
        (("revoke", "nobody"), "notes: there is no user named 'nobody'\n"),
        (
            ("add", " alice"),
            "notes: a user name must not begin or end with white space: ' alice'\n",
        ),
        (
            ("add", "a" * 101),
            "notes: a user name must be 1 to 100 characters long: '" + "a" * 101 + "'\n",
        ),
    ],
)
def test_refusals(
    database: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    assert users(capsys, *args, status=1) == ("", message)


def test_a_name_is_added_once(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    users(capsys, "add", "alice")
    assert users(capsys, "add", "alice", "--admin", status=1) == (
        "",
        "notes: there is already a user named 'alice'\n",
    )


def test_a_database_without_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTES_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bare.db'}")
    monkeypatch.setenv("NOTES_AUTO_MIGRATE", "false")
    _, err = users(capsys, "list", status=1)
    assert "notes db upgrade" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
def test_loopback(host: str) -> None:
    assert is_loopback(host)
    assert exposure_refusal(Settings(host=host)) is None


@pytest.mark.rule("AUTH-2")
@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "", "10.0.0.1", "example.com", "127.0.0.1,0.0.0.0"]
)
def test_open_mode_beyond_loopback_is_refused_unless_asked_for(host: str) -> None:
    assert not is_loopback(host)
    refusal = exposure_refusal(Settings(host=host))
    assert refusal is not None
    assert "\n" not in refusal
    assert "read, change and delete every note" in refusal
    assert exposure_refusal(Settings(host=host, auth="token")) is None
    assert exposure_refusal(Settings(host=host, insecure_open_to_network=True)) is None


@pytest.mark.rule("AUTH-2")
def test_serve_refuses_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("notes: refusing to listen on '0.0.0.0' with --auth none")
    assert "--insecure-open-to-network" in err
