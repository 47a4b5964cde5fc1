"""A TCP proxy in front of PostgreSQL that a test can cut and restore.

Two ways of cutting, as a database host fails in two ways:

* ``refuse``: as when the server stops: every proxied connection is reset, and new
  connections are refused (the listening socket is closed);
* ``blackhole``: as when the network drops packets: connections stay open but nothing
  passes in either direction, and new connections hang.

``restore`` lets traffic through again (on the same port).
"""

from __future__ import annotations

import asyncio
import contextlib

from notes.process import LOOPBACK as HOST

CHUNK = 65536


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._transports: set[asyncio.Transport] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.accepted = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, HOST, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        client = writer.transport
        assert isinstance(client, asyncio.Transport)
        self._transports.add(client)
        try:
            await self._flowing.wait()
            try:
                up_reader, up_writer = await asyncio.open_connection(*self._upstream)
            except OSError:
                return
            upstream = up_writer.transport
            assert isinstance(upstream, asyncio.Transport)
            self._transports.add(upstream)
            try:
                pumps = [
                    asyncio.create_task(self._pump(reader, up_writer)),
                    asyncio.create_task(self._pump(up_reader, writer)),
                ]
                self._tasks.update(pumps)
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
                self._tasks.difference_update(pumps)
            finally:
                upstream.abort()
                self._transports.discard(upstream)
        finally:
            client.abort()
            self._transports.discard(client)
            self._tasks.discard(task)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(CHUNK):
                await self._flowing.wait()
                sink.write(data)
                await sink.drain()

    async def refuse(self) -> None:
        await self._stop_listening()
        for transport in list(self._transports):
            transport.abort()

    def blackhole(self) -> None:
        self._flowing.clear()

    async def restore(self) -> None:
        if self._server is None:
            await self.start()
        self._flowing.set()

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def close(self) -> None:
        self._flowing.set()
        await self._stop_listening()
        for transport in list(self._transports):
            transport.abort()
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
