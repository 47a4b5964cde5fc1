"""Our app, served on a real loopback port from a thread with its own event loop.

Sync clients (`requests`, schemathesis) can call it, and coverage sees its code run.
"""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web

from notes.app import create_app
from notes.settings import Settings


class ServerThread:
    """Runs ``create_app(settings)`` on ``127.0.0.1:<free port>`` until ``stop()``."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notes-test-server", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self.base_url = ""

    def start(self) -> str:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise RuntimeError("the notes server did not start") from self._error
        return self.base_url

    def stop(self) -> None:
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError("the notes server did not stop cleanly") from self._error

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(
            create_app(self._settings), access_log=None, handle_signals=False, shutdown_timeout=5
        )
        try:
            try:
                loop.run_until_complete(self._serve(runner))
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                loop.run_until_complete(runner.cleanup())
                return
            self._loop = loop
            self._ready.set()
            loop.run_forever()
            try:
                loop.run_until_complete(runner.cleanup())
            except BaseException as exc:
                self._error = exc
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            asyncio.set_event_loop(None)
            loop.close()

    async def _serve(self, runner: web.AppRunner) -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
