"""Security headers on every response, the service worker and static files included."""

from __future__ import annotations

import json

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.error_codes import ErrorCode

# No inline script or style anywhere: the PWA is plain files from this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)
# The interactive API docs (development only) load Swagger UI from its CDN with an inline script.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'; object-src 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    """Adds CSP, nosniff, no-referrer and friends; `no-store` on API answers (personal data)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

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
                docs = path.startswith(DOCS_PATHS)
                headers["Content-Security-Policy"] = (
                    DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
                )
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
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
