"""Security headers on every response, the service worker and static files included."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.error_codes import ErrorCode

# No inline script or style anywhere: the PWA is plain files from this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)

# A year, subdomains included: a sibling host on plain http could otherwise set cookies for
# this one (`__Host-` names are the other half) or be the first hop a stripping attack uses.
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Adds CSP, nosniff, no-referrer and friends; `no-store` on API answers (personal data).

    `page_policies` gives a page its own policy by exact path: the development API docs start
    Swagger UI with one inline script, allowed by its hash on that page alone.
    """

    def __init__(
        self, app: ASGIApp, *, hsts: bool, page_policies: Mapping[str, str] | None = None
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.page_policies = dict(page_policies or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = self.page_policies.get(
                    path, CONTENT_SECURITY_POLICY
                )
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if self.hsts:
                    headers["Strict-Transport-Security"] = HSTS
                if path.startswith("/api/") or path == "/metrics":
                    headers["Cache-Control"] = "no-store"
                elif "cache-control" not in headers:
                    # Static files revalidate (a cheap 304 by ETag): after a deploy, phones must
                    # not keep old code, and the service worker least of all.
                    headers["Cache-Control"] = "no-cache"
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            if not started:
                # The framework's last-resort 500 goes out past every middleware, bare and in
                # plain text: answer here instead, in the usual shape, then let it be logged.
                await _server_error(with_headers)
            raise


async def _server_error(send: Send) -> None:
    body = json.dumps(
        {"code": ErrorCode.INTERNAL_ERROR, "detail": "Something went wrong."}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
