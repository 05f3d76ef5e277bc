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


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def own_origins(public_url: str, *, loopback_aliases: bool) -> frozenset[str]:
    """The configured public origin: the only one a browser's write may come from.

    Not the request's `Host`: that is whatever the sender wrote, so a forged Host with a
    matching Origin would pass. With `loopback_aliases` (development) a loopback public URL
    also stands for its other loopback names on the same port, so a developer who opens
    http://localhost:8000 instead of the printed http://127.0.0.1:8000 can still sign in.
    """
    public = origin_of(public_url)
    parts = urlsplit(public)
    hostname = parts.hostname or ""
    host = f"[{hostname}]" if ":" in hostname else hostname
    if not (loopback_aliases and host in LOOPBACK_HOSTS):
        return frozenset({public})
    port = f":{parts.port}" if parts.port else ""  # origin_of left out a default port
    return frozenset(f"{parts.scheme}://{alias}{port}" for alias in LOOPBACK_HOSTS)


class CrossSiteGuard:
    """403 for a write whose `Origin` or `Sec-Fetch-Site` shows another site sent it.

    SameSite=Strict cookies already stop most forged requests; this is the second lock, for
    browsers or paths that do not honour SameSite. A request with neither header (curl, the
    tests, a server-side integration) is not a browser's and passes: without a cookie that a
    browser attaches on its own there is nothing to forge.
    """

    def __init__(self, app: ASGIApp, *, public_url: str, loopback_aliases: bool = False) -> None:
        self.app = app
        self.own_origins = own_origins(public_url, loopback_aliases=loopback_aliases)

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
        if origin is not None and origin_of(origin) not in self.own_origins:
            await self._refuse(send)  # includes "null" (sandboxed frames, opaque redirects)
            return
        await self.app(scope, receive, send)

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
