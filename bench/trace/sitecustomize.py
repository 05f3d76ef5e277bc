"""Where a served request's time goes, per phase, written at exit (bench.load --trace only).

Python imports `sitecustomize` at start-up from the path; bench.load puts this directory first
on the server's PYTHONPATH when asked to trace, so the app itself carries no tracing code. Per
request (an ASGI wrapper put around the app uvicorn loads) it adds up: the wait for an in-flight
slot (app/inflight.py), the wait for a worker thread and the CPU spent in it (anyio's run_sync,
which FastAPI uses for every sync route and dependency), the wait for a pooled connection, the
SQL statements (the database's lock waits are inside these), the commits, and the GC pauses
that happened while it ran. Beside that, once every 5 ms a thread asks the event loop to run a
callback and records how late it ran (the loop's blocked time). At exit each process writes
one JSON file into $AFTERCARE_TRACE_DIR.
"""

from __future__ import annotations

import atexit
import contextvars
import gc
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

TRACE_DIR = os.environ.get("AFTERCARE_TRACE_DIR")

_request: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "traced_request", default=None
)
_requests: list[dict[str, Any]] = []
_gc_pauses: list[float] = []
_gc_generations: list[int] = []  # the generation each pause collected, in the same order
_loop_lags: list[float] = []


def _add(phase: str, seconds: float) -> None:
    spent = _request.get()
    if spent is not None:
        spent[phase] = spent.get(phase, 0.0) + seconds


def _patch_threads() -> None:
    import anyio.to_thread

    original = anyio.to_thread.run_sync

    async def run_sync(func: Any, *args: Any, **kwargs: Any) -> Any:
        asked = time.perf_counter()

        def started(*inner: Any) -> Any:
            _add("thread_wait", time.perf_counter() - asked)
            cpu = time.thread_time()
            try:
                return func(*inner)
            finally:
                _add("thread_cpu", time.thread_time() - cpu)

        return await original(started, *args, **kwargs)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


def _patch_database() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.engine.default import DefaultDialect
    from sqlalchemy.pool import QueuePool

    started = threading.local()

    @event.listens_for(Engine, "before_cursor_execute")
    def before(*_: Any) -> None:
        started.at = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def after(*_: Any) -> None:
        _add("sql", time.perf_counter() - started.at)

    commit = DefaultDialect.do_commit

    def do_commit(self: DefaultDialect, connection: Any) -> None:
        at = time.perf_counter()
        try:
            commit(self, connection)  # type: ignore[no-untyped-call]
        finally:
            _add("commit", time.perf_counter() - at)

    DefaultDialect.do_commit = do_commit  # type: ignore[method-assign]
    get = QueuePool._do_get

    def do_get(self: QueuePool) -> Any:
        at = time.perf_counter()
        try:
            return get(self)
        finally:
            _add("pool_wait", time.perf_counter() - at)

    QueuePool._do_get = do_get  # type: ignore[method-assign]


def _patch_in_flight_limit() -> None:
    """The wait for one of the in-flight slots (app/inflight.py), before anything else runs:
    from the middleware's call to the moment it lets the request into the app behind it."""
    from app.inflight import InFlightLimit

    init, call = InFlightLimit.__init__, InFlightLimit.__call__

    def traced_init(self: InFlightLimit, app: Any, **options: Any) -> None:
        async def admitted(scope: Any, receive: Any, send: Any) -> None:
            spent = _request.get()
            if spent is not None and "asked" in spent:
                spent["inflight_wait"] = time.perf_counter() - spent.pop("asked")
            await app(scope, receive, send)

        init(self, admitted, **options)

    async def traced_call(self: InFlightLimit, scope: Any, receive: Any, send: Any) -> None:
        spent = _request.get()
        if spent is not None:
            spent["asked"] = time.perf_counter()
        await call(self, scope, receive, send)

    InFlightLimit.__init__ = traced_init  # type: ignore[method-assign]
    InFlightLimit.__call__ = traced_call  # type: ignore[method-assign]


def _watch_gc() -> None:
    started: list[float] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pause = time.perf_counter() - started[0]
            _gc_pauses.append(pause)
            _gc_generations.append(info["generation"])
            _add("gc", pause)

    gc.callbacks.append(callback)


def _watch_loop(loop: Any) -> None:
    def ping() -> None:
        while not loop.is_closed():
            sent = time.perf_counter()
            # `sent` bound now: a late callback must not read the next ping's time.
            try:
                loop.call_soon_threadsafe(
                    lambda at=sent: _loop_lags.append(time.perf_counter() - at)
                )
            except RuntimeError:  # closed between the check and the call: the server stopped
                return
            time.sleep(0.005)

    threading.Thread(target=ping, name="loop-lag", daemon=True).start()


def _patch_app() -> None:
    import asyncio

    from uvicorn.config import Config

    load = Config.load

    def traced_load(self: Config) -> None:
        load(self)
        inner = self.loaded_app
        watching = False

        async def app(scope: Any, receive: Any, send: Any) -> None:
            nonlocal watching
            if not watching:  # the first request: the server's loop is running now
                watching = True
                _watch_loop(asyncio.get_running_loop())
            if scope["type"] != "http" or not scope["path"].startswith("/api/"):
                await inner(scope, receive, send)
                return
            spent: dict[str, float] = {}
            token = _request.set(spent)
            at = time.perf_counter()
            try:
                await inner(scope, receive, send)
            finally:
                _request.reset(token)
                spent["total"] = time.perf_counter() - at
                spent.pop("asked", None)  # cancelled before the limit let it in
                _requests.append({"method": scope["method"], "path": scope["path"], **spent})

        self.loaded_app = app

    Config.load = traced_load  # type: ignore[method-assign]


def _write() -> None:
    if TRACE_DIR is None:
        return
    path = Path(TRACE_DIR) / f"trace-{os.getpid()}.json"
    body = {
        "requests": _requests,
        "gc_pauses": _gc_pauses,
        "gc_generations": _gc_generations,
        "loop_lags": _loop_lags,
    }
    path.write_text(json.dumps(body))


if TRACE_DIR is not None:
    _patch_threads()
    _patch_database()
    _patch_in_flight_limit()
    _watch_gc()
    _patch_app()
    atexit.register(_write)
