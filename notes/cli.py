"""The `notes` command: run the service, manage its database schema, print its contract."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Sequence

import orjson
from aiohttp import web

from notes import accounts
from notes.app import create_app
from notes.settings import DEFAULT_DATABASE_URL, Settings, SettingsError
from notes.storage.migrations import downgrade_database, upgrade_database
from notes.web.logs import ACCESS_LOGGER, AccessLogger, configure_logging
from notes.web.openapi import build_openapi
from notes.workers import Supervisor

logger = logging.getLogger("notes")


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # uvloop is optional (absent on Windows)
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL: sqlite+aiosqlite:///notes.db or postgresql+asyncpg://user@host/db "
        f"(env NOTES_DATABASE_URL, default {DEFAULT_DATABASE_URL})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="notes", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="address to listen on (env NOTES_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (env NOTES_PORT, default 8080)")
    _database_option(serve)
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log one line per request (env NOTES_ACCESS_LOG, default on); "
        "--no-access-log turns it off",
    )

    serve.add_argument(
        "--auth",
        choices=("none", "token"),
        help="none: open, every note is everyone's (v1); token: every /notes request needs "
        "a user's bearer token (v1.1; `notes users add`) (env NOTES_AUTH, default none)",
    )
    serve.add_argument(
        accounts.INSECURE_FLAG,
        action="store_true",
        default=None,
        help="let --auth none listen on an address other than loopback, where anyone who "
        "reaches the port can read, change and delete every note "
        "(env NOTES_INSECURE_OPEN_TO_NETWORK)",
    )

    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="text lines, or one JSON object a line (env NOTES_LOG_FORMAT, default text)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (SO_REUSEPORT); a crashed one is replaced "
        "(default 1)",
    )

    database = commands.add_parser("db", help="manage the database schema (Alembic)")
    actions = database.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="apply migrations up to REVISION")
    upgrade.add_argument("revision", nargs="?", default="head", help="default: head")
    _database_option(upgrade)
    downgrade = actions.add_parser("downgrade", help="revert migrations down to REVISION")
    downgrade.add_argument("revision", help="e.g. -1 or base")
    _database_option(downgrade)

    users = commands.add_parser("users", help="the users of --auth token, and their tokens")
    user_actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        ("add", "add a user and print their token, this once"),
        ("revoke", "remove a user's token: it stops working"),
        ("rotate", "give a user a new token and print it, this once; the old one stops working"),
    ):
        command = user_actions.add_parser(action, help=text)
        command.add_argument("name", help="the user's name: their notes' created_by")
        if action == "add":
            command.add_argument("--admin", action="store_true", help="sees and changes every note")
        _database_option(command)
    _database_option(user_actions.add_parser("list", help="the users (never their tokens)"))

    commands.add_parser("openapi", help="print the OpenAPI document")
    return parser


def _drain_once(loop: asyncio.AbstractEventLoop) -> None:
    """The first SIGINT/SIGTERM starts the drain; later ones are ignored, so that a
    second signal (systemd signals the whole group, the supervisor forwards another)
    cannot abort a drain whose requests may already have committed."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(signum)
        signal.signal(signum, signal.SIG_IGN)
    raise web.GracefulExit()


def tune_garbage_collector() -> None:
    """Collect cyclic garbage rarely: requests make little of it (reference counting
    frees the rest), and each collection pauses every request in flight (the p99s it
    cost: benchmarks/README.md, "Measured costs behind the design"). Objects made at
    start-up are frozen out of collections altogether.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def serve(settings: Settings, *, reuse_port: bool = False) -> None:
    """Run one server process until SIGINT/SIGTERM, which drain it and exit cleanly."""
    app = create_app(settings)
    tune_garbage_collector()
    loop = _new_event_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _drain_once, loop)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        reuse_port=reuse_port or None,
        access_log=logging.getLogger(ACCESS_LOGGER) if settings.access_log else None,
        access_log_class=AccessLogger,
        shutdown_timeout=settings.shutdown_timeout,
        keepalive_timeout=settings.keepalive_timeout,
        loop=loop,
        handle_signals=False,
        print=lambda message: logger.info("%s", message.strip()),
    )


def serve_worker(settings: Settings) -> None:
    """The body of one of several workers (runs in a child process)."""
    configure_logging(settings.log_format)
    serve(settings, reuse_port=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging("text")
    try:
        settings = Settings.from_environment(
            database_url=args.database_url if args.command != "openapi" else None,
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            access_log=getattr(args, "access_log", None),
            auth=getattr(args, "auth", None),
            insecure_open_to_network=getattr(args, "insecure_open_to_network", None),
            log_format=getattr(args, "log_format", None),
        )
    except SettingsError as error:
        print(f"notes: {error}", file=sys.stderr)
        return 2
    # The users commands print what they did; the migrations they may run, nothing.
    quiet = args.command == "users"
    configure_logging(settings.log_format, level=logging.WARNING if quiet else logging.INFO)
    refusal = accounts.exposure_refusal(settings) if args.command == "serve" else None
    if refusal is not None:
        print(f"notes: {refusal}", file=sys.stderr)
        return 2
    if args.command == "users":
        return accounts.run_users_command(args, settings)
    if args.command == "serve" and args.workers > 1:
        return Supervisor(settings, serve_worker, args.workers).run()
    if args.command == "serve":
        serve(settings)
    elif args.command == "db" and args.action == "upgrade":
        upgrade_database(settings.database_url, args.revision)
    elif args.command == "db":
        downgrade_database(settings.database_url, args.revision)
    else:
        sys.stdout.write(orjson.dumps(build_openapi(settings), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    return 0
