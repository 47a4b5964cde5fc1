"""HTTP/1.1 over a bare socket, for what a well-behaved client library will not send.

Slow bodies, interim 100 Continue answers, malformed requests, half-sent bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from types import TracebackType

from notes.process import LOOPBACK as HOST

RESPONSE_TIMEOUT = 30.0
MAX_BODY = 64 * 1024 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclasses.dataclass(frozen=True, slots=True)
class ResponseHead:
    status: int
    headers: dict[str, str]  # lower-case names


async def read_head(reader: asyncio.StreamReader) -> ResponseHead:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection without an answer")
    parts = status_line.decode("latin-1").split(" ", 2)
    status = int(parts[1])
    headers: dict[str, str] = {}
    while True:
        line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return ResponseHead(status, headers)


async def read_body(reader: asyncio.StreamReader, head: ResponseHead) -> bytes:
    if head.status < 200 or head.status in (204, 304):
        return b""
    if "content-length" in head.headers:
        return await reader.readexactly(int(head.headers["content-length"]))
    if head.headers.get("transfer-encoding", "").lower() == "chunked":
        return await _read_chunked(reader)
    return await reader.read(MAX_BODY)


async def read_response(reader: asyncio.StreamReader) -> RawResponse:
    head = await read_head(reader)
    return RawResponse(head.status, head.headers, await read_body(reader, head))


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while len(body) <= MAX_BODY:
        size = int((await reader.readline()).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readline()
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
    raise ValueError("chunked body too long")


class RawConnection:
    """One TCP connection to the server; use as ``async with RawConnection(port) as conn``."""

    def __init__(self, port: int, *, receive_buffer: int | None = None) -> None:
        self.port = port
        # A small receive buffer makes a client that does not read hold the server back.
        self._receive_buffer = receive_buffer
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> RawConnection:
        if self._receive_buffer is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self.port)
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self._receive_buffer)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (HOST, self.port))
        except BaseException:
            sock.close()
            raise
        self._reader, self._writer = await asyncio.open_connection(sock=sock)
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def reader(self) -> asyncio.StreamReader:
        assert self._reader is not None
        return self._reader

    @property
    def writer(self) -> asyncio.StreamWriter:
        assert self._writer is not None
        return self._writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, within: float = RESPONSE_TIMEOUT) -> RawResponse:
        return await asyncio.wait_for(read_response(self.reader), within)

    async def head(self, within: float = RESPONSE_TIMEOUT) -> ResponseHead:
        return await asyncio.wait_for(read_head(self.reader), within)

    async def body(self, head: ResponseHead, within: float = RESPONSE_TIMEOUT) -> bytes:
        return await asyncio.wait_for(read_body(self.reader, head), within)

    async def closed_by_server(self, within: float = RESPONSE_TIMEOUT) -> bool:
        """True once the server has closed its side (EOF or reset) within ``within`` s."""
        try:
            data = await asyncio.wait_for(self.reader.read(65536), within)
        except (ConnectionError, OSError):
            return True
        except TimeoutError:
            return False
        return data == b""

    async def close(self) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()

    def abort(self) -> None:
        """Drop the connection at once (an RST), as a client that vanishes does."""
        if self._writer is not None:
            self._writer.transport.abort()


class RawConnections:
    """Connections a test opens and may leave open: every one is closed at teardown."""

    def __init__(self) -> None:
        self._open: list[RawConnection] = []

    async def open(self, port: int, *, receive_buffer: int | None = None) -> RawConnection:
        connection = RawConnection(port, receive_buffer=receive_buffer)
        await connection.__aenter__()
        self._open.append(connection)
        return connection

    async def close_all(self) -> None:
        for connection in self._open:
            connection.abort()
            await connection.close()


async def exchange(port: int, request: bytes, within: float = RESPONSE_TIMEOUT) -> RawResponse:
    """Send ``request`` and read one answer; the server may answer before reading it all."""
    async with RawConnection(port) as connection:
        sending = asyncio.create_task(_send_quietly(connection, request))
        try:
            return await connection.response(within)
        finally:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending


async def _send_quietly(connection: RawConnection, data: bytes) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        await connection.send(data)


def request_bytes(
    method: str,
    target: str,
    body: bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
    content_type: str | None = "application/json",
) -> bytes:
    """A request as bytes; Content-Length is set from ``body`` unless ``headers`` has one."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}", "Connection: close"]
    given = {name.lower() for name in headers or {}}
    if content_type is not None and body is not None and "content-type" not in given:
        lines.append(f"Content-Type: {content_type}")
    if body is not None and "content-length" not in given and "transfer-encoding" not in given:
        lines.append(f"Content-Length: {len(body)}")
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (body or b"")
