"""The real app on a loopback port, driven synchronously from an event loop of its own.

Hypothesis calls rules and ``@given`` bodies synchronously, so the driver owns a loop and
runs each request to completion on it: a real socket, a real aiohttp client, no mocks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Coroutine, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from notes.app import create_app
from notes.settings import Settings

T = TypeVar("T")
Params = Sequence[tuple[str, str]]


@dataclasses.dataclass(frozen=True)
class Reply:
    method: str
    url: str
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.status} {self.body[:500]!r}"


class LiveService:
    """Serves ``create_app(settings)`` on 127.0.0.1 until closed; use as a context manager."""

    def __init__(self, database_url: str, **settings: Any) -> None:
        """``settings`` adds to the defaults here, e.g. ``auth="token"`` (v1.1)."""
        self.settings = Settings(
            database_url=database_url, access_log=False, auto_migrate=True, **settings
        )
        self._loop = asyncio.new_event_loop()
        # Sent with every request unless the request says otherwise (a user's token).
        self.headers: dict[str, str] = {}
        self._server: TestServer | None = None
        self._session: aiohttp.ClientSession | None = None
        try:
            self._run(self._start())
        except BaseException:
            self.close()
            raise

    async def _start(self) -> None:
        self._server = TestServer(create_app(self.settings), host="127.0.0.1")
        await self._server.start_server()
        self._session = aiohttp.ClientSession()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coroutine)

    def url(self, path: str | URL) -> URL:
        """An absolute URL: a path is served by this server, a full URL is taken as given."""
        assert self._server is not None
        target = URL(path) if isinstance(path, str) else path
        return target if target.is_absolute() else self._server.make_url(target)

    def request(
        self,
        method: str,
        path: str | URL,
        *,
        json_body: object = None,
        body: bytes | None = None,
        content_type: str | None = "application/json",
        headers: Mapping[str, str] | None = None,
        params: Params | None = None,
        ensure_ascii: bool = False,
    ) -> Reply:
        """One request; ``json_body`` is encoded here, and ``content_type=None`` sends none."""
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=ensure_ascii).encode()
        sent: CIMultiDict[str] = CIMultiDict({**self.headers, **(headers or {})})
        if body is not None and content_type is not None:
            sent["Content-Type"] = content_type
        return self._run(self._request(method, self.url(path), body, sent, params))

    async def _request(
        self,
        method: str,
        url: URL,
        body: bytes | None,
        headers: CIMultiDict[str],
        params: Params | None,
    ) -> Reply:
        assert self._session is not None
        async with self._session.request(
            method,
            url,
            data=body,
            headers=headers,
            params=params,
            skip_auto_headers=["Content-Type"],
            allow_redirects=False,
        ) as response:
            return Reply(
                method=method,
                url=str(response.url),
                status=response.status,
                headers=response.headers,
                body=await response.read(),
            )

    def request_cut(
        self, path: str, *, json_body: object, headers: Mapping[str, str], after: float
    ) -> Reply | None:
        """A POST whose connection the client drops ``after`` seconds in: the answer, or
        None when it was cut (the server may or may not have acted on it)."""
        body = json.dumps(json_body).encode()
        sent = CIMultiDict({**self.headers, **headers, "Content-Type": "application/json"})
        request = self._request("POST", self.url(path), body, sent, None)

        async def cut() -> Reply | None:
            try:
                return await asyncio.wait_for(request, after)
            except TimeoutError:
                return None

        return self._run(cut())

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            if self._session is not None:
                self._run(self._session.close())
            if self._server is not None:
                self._run(self._server.close())
            self._run(self._loop.shutdown_asyncgens())
            self._run(self._loop.shutdown_default_executor())
        finally:
            self._loop.close()

    def __enter__(self) -> LiveService:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
