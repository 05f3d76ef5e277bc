"""A loopback TCP proxy a test can cut and restore: what clients see while a server restarts."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

T = TypeVar("T")


class TcpProxy:
    """Forwards connections on 127.0.0.1:`port` to `upstream_host`:`upstream_port`.

    `cut()` drops every open connection (both ends reset) and stops listening, so new
    connections are refused, like a database server going down; `restore()` listens again on
    the same port, like the server coming back. The proxy runs its own event loop in a thread.
    """

    def __init__(self, upstream_host: str, upstream_port: int, *, port: int = 0) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.port = port
        self.accepted = 0
        self.cut_connections = 0  # open connections dropped by cut(), over all cuts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle, from the test's thread ---------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("TcpProxy already started")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="tcp-proxy", daemon=True
        )
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def cut(self) -> int:
        """Reset every open connection and refuse new ones; how many connections were open."""
        return self._call(self._cut())

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        self._call(self._listen())

    @property
    def listening(self) -> bool:
        return self._server is not None

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            raise RuntimeError("start() the TcpProxy first")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    # -- the proxy, on its loop ----------------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is not None:
            return
        # reuse_address (the default on POSIX) lets the port be bound again at once after a cut.
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> int:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        pairs = list(self._pairs)
        for client, upstream in pairs:
            # abort(): an RST, not a polite FIN: the peer's next read or write fails at once.
            client.transport.abort()
            upstream.transport.abort()
        self._pairs.clear()
        self.cut_connections += len(pairs)
        await asyncio.sleep(0)  # let the pumps see their closed streams
        return len(pairs)

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self.accepted += 1
        try:
            upstream_reader, upstream = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            client.transport.abort()
            return
        if self._server is None:  # cut while connecting upstream
            client.transport.abort()
            upstream.transport.abort()
            return
        pair = (client, upstream)
        self._pairs.add(pair)
        pumps = [
            asyncio.create_task(self._pump(client_reader, upstream)),
            asyncio.create_task(self._pump(upstream_reader, client)),
        ]
        self._tasks.update(pumps)
        await asyncio.gather(*pumps, return_exceptions=True)
        self._tasks.difference_update(pumps)
        self._pairs.discard(pair)
        for writer in pair:
            writer.transport.abort()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
