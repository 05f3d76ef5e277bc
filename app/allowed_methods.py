"""405 with an `Allow` header naming every method a path has (ASGI middleware)."""

from __future__ import annotations

import json
import re

from fastapi.routing import iter_route_contexts
from starlette.routing import Router, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.error_codes import ErrorCode


class AllowedMethods:
    """Answers a known path asked with a method it lacks: 405 and all of the path's methods.

    The PWA's files are mounted at `/` and match every path, so Starlette's router hands a
    wrong method on an API path to them: `GET /api/auth/login` was a 404 and
    `PUT /api/me/push-subscriptions` a 405 saying `Allow: GET, HEAD`, which that path does
    not even have. Several routes may share a path (one per method), so the answer is the
    union of theirs. Only 404 and 405 answers are looked at: the routes are matched again
    only on a refusal, never on the hot path.
    """

    def __init__(self, app: ASGIApp, *, router: Router) -> None:
        self.app = app
        self.router = router
        self._paths: list[tuple[re.Pattern[str], frozenset[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def checked(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the refused answer's body: ours went out instead
            if message["type"] == "http.response.start" and message["status"] in (404, 405):
                allowed = self.allowed_methods(scope)
                if allowed:
                    replaced = True
                    await _method_not_allowed(send, allowed)
                    return
            await send(message)

        await self.app(scope, receive, checked)

    def allowed_methods(self, scope: Scope) -> list[str]:
        """The methods of every route whose path matches; none if one takes this method."""
        methods: set[str] = set()
        for pattern, route_methods in self._routes():
            if pattern.match(scope["path"]):
                if scope["method"] in route_methods:
                    return []  # the route itself answered 404 (no such patient, say): its word
                methods |= route_methods
        return sorted(methods)

    def _routes(self) -> list[tuple[re.Pattern[str], frozenset[str]]]:
        # Built at the first refusal, when every router is included. Included routers' routes
        # come with their prefixes; mounts (the PWA, the docs' files) have no methods.
        if self._paths is None:
            self._paths = [
                (compile_path(str(context.path))[0], frozenset(context.methods))
                for context in iter_route_contexts(self.router.routes)
                if context.methods and context.path
            ]
        return self._paths


async def _method_not_allowed(send: Send, allowed: list[str]) -> None:
    body = json.dumps(
        {"code": ErrorCode.METHOD_NOT_ALLOWED, "detail": "Method Not Allowed"},
        separators=(",", ":"),  # as the framework's own JSON answers
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"allow", ", ".join(allowed).encode()),
    ]
    await send({"type": "http.response.start", "status": 405, "headers": headers})
    await send({"type": "http.response.body", "body": body})
