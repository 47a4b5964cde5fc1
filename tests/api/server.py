"""Our app, served on a real loopback port from a thread with its own event loop.

Sync clients (`requests`, schemathesis) can call it, and coverage sees its code run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

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


class ProcessServer:
    """Our app in a process of its own, started through the CLI as an operator would."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self, timeout: float = 60.0) -> str:
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "notes",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--database-url",
            self._database_url,
            "--no-access-log",
        ]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy()
        )
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(
                    f"`notes serve` exited with {self._process.returncode}: {stderr}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=1) as response:
                    if response.status == 200:
                        return self.base_url
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"`notes serve` did not answer on {self.base_url} in {timeout}s")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
