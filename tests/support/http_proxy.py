"""A loopback reverse HTTP proxy that appends X-Forwarded-For, as nginx or a load balancer does."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

# Hop-by-hop headers (RFC 9110 7.6.1) and what aiohttp computes again for its own answer.
NOT_FORWARDED = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer",
     "proxy-connection", "content-length", "content-encoding", "host"}
)  # fmt: skip


class ForwardingProxy:
    """Listens on 127.0.0.1:`port`, forwards every request to `upstream` (a base URL).

    Like nginx's `proxy_add_x_forwarded_for`: the address the client connected from is
    appended to whatever X-Forwarded-For the client sent, and X-Forwarded-Proto says `proto`
    (the scheme a TLS-terminating proxy was reached on). The proxy connects upstream from
    `source_address`, a loopback address of its own, so the app sees the proxy at an address
    no client uses. It runs its own event loop in a thread.
    """

    def __init__(
        self, upstream: str, *, source_address: str = "127.0.0.1", proto: str = "https"
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.source_address = source_address
        self.proto = proto
        self.port = 0
        self.forwarded: list[str] = []  # the X-Forwarded-For each request went on with
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="http-proxy")
        self._thread.daemon = True
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def _listen(self) -> None:
        connector = aiohttp.TCPConnector(local_addr=(self.source_address, 0))
        self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        headers = request.headers.copy()
        for name in NOT_FORWARDED | {"x-forwarded-for"}:
            headers.popall(name, None)
        sent = ", ".join(request.headers.getall("X-Forwarded-For", []))
        chain = f"{sent}, {request.remote}" if sent else str(request.remote)
        self.forwarded.append(chain)
        headers["X-Forwarded-For"] = chain
        headers["X-Forwarded-Proto"] = self.proto
        headers["Host"] = request.host
        async with self._session.request(
            request.method,
            self.upstream + request.rel_url.raw_path_qs,
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            kept = answer.headers.copy()  # every Set-Cookie, in order
            for name in NOT_FORWARDED - {"content-encoding"}:  # the body is passed as it came
                kept.popall(name, None)
            return web.Response(status=answer.status, headers=kept, body=body)
