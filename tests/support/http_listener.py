"""A bare HTTP/1.1 listener on loopback that gives every request one scripted answer.

For what a real push service never does but an endpoint can be pointed at: answer a
redirect, accept anything (an attacker's listener), or stream an enormous error body.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Self

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Received:
    method: str
    target: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


class ScriptedListener:
    """Answers `status` with `headers`, then `body_bytes` bytes of body, streamed in chunks
    (never held in memory whole); records each request and how much body went out."""

    def __init__(
        self, status: int = 201, headers: dict[str, str] | None = None, body_bytes: int = 0
    ) -> None:
        self.status = status
        self.headers = dict(headers or {})
        self.body_bytes = body_bytes
        self.port = 0
        self.connection_count = 0
        self.body_bytes_sent = 0
        self.bodies_finished = 0
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def start(self) -> Self:
        sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sock, ready), name=f"scripted-{self.port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout=10):
            raise RuntimeError("ScriptedListener did not start within 10 s")
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=10)
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

    def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve(sock, ready))
        finally:
            self._loop.close()

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        self._stopping = asyncio.Event()
        writers: set[asyncio.StreamWriter] = set()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.add(writer)
            try:
                await self._answer(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                pass  # the client hung up: what it did not read is the point of some tests
            finally:
                writers.discard(writer)
                writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        ready.set()
        await self._stopping.wait()
        server.close()
        for writer in list(writers):
            writer.close()
        await server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connection_count += 1
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *fields = head.split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {}
        for field in fields:
            if ":" in field:
                name, value = field.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        with self._lock:
            self._received.append(Received(method, target, headers, body))
        lines = [f"HTTP/1.1 {self.status} Scripted"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        lines += [f"Content-Length: {self.body_bytes}", "Connection: close", "", ""]
        writer.write("\r\n".join(lines).encode("latin-1"))
        await writer.drain()
        chunk = b"x" * _CHUNK
        left = self.body_bytes
        while left > 0:
            piece = chunk[: min(left, _CHUNK)]
            writer.write(piece)
            await writer.drain()
            left -= len(piece)
            with self._lock:
                self.body_bytes_sent += len(piece)
        with self._lock:
            self.bodies_finished += 1
