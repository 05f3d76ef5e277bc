"""ASGI middleware refusing state-changing requests that a browser sent from another site."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.error_codes import ErrorCode

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# "same-site" is refused too: a sibling subdomain is another party, yet gets SameSite cookies.
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-case, default ports left out."""
    parts = urlsplit(url.strip().lower())
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


class CrossSiteGuard:
    """403 for a write whose `Origin` or `Sec-Fetch-Site` shows another site sent it.

    SameSite=Strict cookies already stop most forged requests; this is the second lock, for
    browsers or paths that do not honour SameSite. A request with neither header (curl, the
    tests, a server-side integration) is not a browser's and passes: without a cookie that a
    browser attaches on its own there is nothing to forge.
    """

    def __init__(self, app: ASGIApp, *, public_url: str) -> None:
        self.app = app
        self.public_origin = origin_of(public_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        fetch_site = headers.get("sec-fetch-site")
        origin = headers.get("origin")
        if fetch_site is not None and fetch_site.strip().lower() not in ALLOWED_FETCH_SITES:
            await self._refuse(send)
            return
        if origin is not None and origin_of(origin) not in self._own_origins(scope, headers):
            await self._refuse(send)  # includes "null" (sandboxed frames, opaque redirects)
            return
        await self.app(scope, receive, send)

    def _own_origins(self, scope: Scope, headers: Headers) -> set[str]:
        """The configured public origin, and the one this request was addressed to."""
        own = {self.public_origin}
        host = headers.get("host")
        if host:
            own.add(origin_of(f"{scope.get('scheme', 'http')}://{host}"))
        own.discard("")
        return own

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "code": ErrorCode.CROSS_SITE_REQUEST,
                "detail": "Requests from another site are not accepted.",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
