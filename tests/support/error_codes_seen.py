"""Pytest plugin: every error answer any test gets must be documented on its operation.

Each FastAPI app's answers are watched from the outside (after every middleware); an error
whose `code` the app's OpenAPI schema does not list under that operation and status is
recorded with the test that met it, and the session fails at its end with the list. Routes
left out of the schema (pages, /metrics) and paths no route matches are not judged.
"""

from __future__ import annotations

import gzip
import json
import threading
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import documented_codes

# (method, path template) -> status -> the codes documented there
Declared = dict[tuple[str, str], dict[int, set[str]]]
AppCall = Callable[[FastAPI, Scope, Receive, Send], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Answer:
    """One error answer: which operation, which status, which code."""

    method: str
    path: str
    status: int
    code: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} {self.code}"


def declared_by(schema: dict[str, Any]) -> Declared:
    """What the OpenAPI schema says each operation can answer, by status."""
    declared: Declared = {}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            declared[(method.upper(), path)] = {
                int(status): {str(code) for code in documented_codes(response)}
                for status, response in operation.get("responses", {}).items()
                if status.isdigit()
            }
    return declared


def operation_of(app: FastAPI, scope: Scope) -> tuple[str, str] | None:
    """(method, path template) of the API route that takes this request, if any."""
    for route in iter_route_contexts(app.routes):  # included routers' routes with prefixes
        if isinstance(route.original_route, APIRoute):
            match, _ = route.matches(scope)
            if match is Match.FULL and route.path_format is not None:
                return scope["method"], route.path_format
    return None


def error_code(status: int, headers: dict[bytes, bytes], body: bytes) -> str | None:
    """The `code` of an error body, or None if it is not a JSON error in the usual shape."""
    if status < 400 or not headers.get(b"content-type", b"").startswith(b"application/json"):
        return None
    if headers.get(b"content-encoding") == b"gzip":
        body = gzip.decompress(body)
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    code = parsed.get("code") if isinstance(parsed, dict) else None
    return code if isinstance(code, str) else None


class Recorder:
    """Watches apps' answers; keeps every distinct error answer and the undocumented ones."""

    def __init__(self) -> None:
        self.seen: dict[Answer, str] = {}
        self.undocumented: dict[Answer, str] = {}
        self.current_test = ""
        self._declared: weakref.WeakKeyDictionary[FastAPI, Declared] = weakref.WeakKeyDictionary()
        # Answers of parallel requests (each TestClient request runs in its own thread) are
        # noted at once: the first would build the schema while the others read it half made.
        self._lock = threading.Lock()
        self._ignored: weakref.WeakSet[FastAPI] = weakref.WeakSet()

    def ignore(self, app: FastAPI) -> None:
        """Leave this app's answers out (a test's own app, made to break the rule)."""
        self._ignored.add(app)

    async def call(
        self, app: FastAPI, scope: Scope, receive: Receive, send: Send, inner: ASGIApp
    ) -> None:
        """Run `inner` (the app) for the request, noting the answer if it is an error."""
        if scope["type"] != "http" or app in self._ignored:
            await inner(scope, receive, send)
            return
        asked = dict(scope)  # as it came in: routing adds to the scope on the way
        status = 0
        headers: dict[bytes, bytes] = {}
        body = bytearray()

        async def watching_send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = {k.lower(): v for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body" and status >= 400:
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await inner(scope, receive, watching_send)
        finally:
            code = error_code(status, headers, bytes(body))
            operation = operation_of(app, asked) if code is not None else None
            if code is not None and operation is not None:
                self.note(app, Answer(*operation, status, code))

    def note(self, app: FastAPI, answer: Answer) -> None:
        with self._lock:
            self._note(app, answer)

    def _note(self, app: FastAPI, answer: Answer) -> None:
        self.seen.setdefault(answer, self.current_test)
        declared = self._declared.get(app)
        if declared is None:
            declared = self._declared[app] = declared_by(app.openapi())
        documented = declared.get((answer.method, answer.path))
        if documented is None:
            return  # a route a test added to the app after its schema was made
        if answer.code not in documented.get(answer.status, set()):
            self.undocumented.setdefault(answer, self.current_test)


RECORDER = Recorder()
_original_call: AppCall | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _original_call
    original: AppCall = FastAPI.__call__
    _original_call = original

    async def watched(self: FastAPI, scope: Scope, receive: Receive, send: Send) -> None:
        async def inner(scope: Scope, receive: Receive, send: Send) -> None:
            await original(self, scope, receive, send)

        await RECORDER.call(self, scope, receive, send, inner)

    FastAPI.__call__ = watched  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _original_call is not None:
        FastAPI.__call__ = _original_call  # type: ignore[method-assign, assignment]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    RECORDER.current_test = item.nodeid
    try:
        return (yield)
    finally:
        RECORDER.current_test = ""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if RECORDER.undocumented and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    seen, undocumented = RECORDER.seen, RECORDER.undocumented
    if not seen:
        return
    if not undocumented:
        terminalreporter.write_line(
            f"error codes: {len(seen)} distinct error answers seen, each documented "
            "on its operation in the OpenAPI schema"
        )
        return
    terminalreporter.section("error codes not documented on their operation", red=True)
    for answer, test in sorted(undocumented.items(), key=lambda item: str(item[0])):
        terminalreporter.write_line(f"{answer}    (first seen in {test})")
    terminalreporter.write_line(
        "Declare the code on the route (responses=errors(...)) or in app/openapi_refusals.py."
    )
