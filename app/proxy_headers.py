"""The client's address and scheme from a trusted reverse proxy's X-Forwarded-* headers (ASGI)."""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.shared.client_address import Network, forwarded_client, is_trusted, parse_address

logger = logging.getLogger(__name__)

UNTRUSTED_FORWARDING = (
    "A request came with X-Forwarded-For from %s, which is not in AFTERCARE_TRUSTED_PROXIES: "
    "its header is ignored and the proxy's own address is taken as the client's. Behind a "
    "reverse proxy every client then shares one address, so 20 failed sign-ins by anyone "
    "lock out everyone. Set AFTERCARE_TRUSTED_PROXIES to the proxy's address (README, "
    "'Behind a reverse proxy'). Said once per process."
)


class ProxyHeaders:
    """Rewrites the ASGI scope's `client` (and `scheme`) from what a trusted proxy appended.

    Uvicorn's own proxy handling is off (`aftercare serve` passes proxy_headers=False): it
    trusts 127.0.0.1 by default, so a proxy anywhere else was not believed at all (every
    client shared its address) and any process on the machine could claim any address.
    Rewriting the scope, not each route's reading of it, keeps the audit log, the rate
    limits and uvicorn's access log on the same address. A request carrying X-Forwarded-For
    from a peer that is not trusted is logged as a warning, once: it is the sign of a proxy
    missing from the setting, and the shared-address lock-out that follows.
    """

    def __init__(self, app: ASGIApp, *, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted
        self.warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self._rewrite(scope)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope) -> None:
        if not self.trusted and self.warned:
            return  # nobody to believe and nothing left to say: the common case costs nothing
        peer = scope.get("client")
        if not peer:
            return
        headers = Headers(scope=scope)
        forwarded_for = headers.getlist("x-forwarded-for")
        if not is_trusted(parse_address(peer[0]), self.trusted):
            if forwarded_for and not self.warned:
                self.warned = True
                logger.warning(UNTRUSTED_FORWARDING, peer[0])
            return
        client = forwarded_client(peer[0], forwarded_for, self.trusted)
        if client != peer[0]:
            # The port was the proxy's connection's; the client's is unknown.
            scope["client"] = (client, 0)
        # The nearest proxy's word on the scheme (it ended TLS, or passed it on): redirects
        # such as /console -> /console/ are built from it.
        protos = ",".join(headers.getlist("x-forwarded-proto")).split(",")
        nearest = protos[-1].strip().lower()
        if nearest in ("http", "https"):
            scope["scheme"] = nearest
