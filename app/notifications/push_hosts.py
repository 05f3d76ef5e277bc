"""Which push endpoints the service may post to: https, and only public addresses once resolved.

A subscription's endpoint is a URL the browser hands us, so anyone signed in can make the
dispatcher connect wherever they like. In production it must be https and every address it
connects to must be public (`ipaddress.is_global`), except hosts the operator names for a
self-hosted push service. Endpoints are checked when stored (a plain 422) and again on every
send, where the check sits in the resolver the connection pool uses: the addresses checked
are exactly the ones connected to, so a name that later resolves elsewhere (DNS rebinding) is
caught too. IP literals never reach a resolver in aiohttp, so `check` covers them.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from app.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# RFC 6052's well-known NAT64 prefix and 6to4 (RFC 3056) carry an IPv4 address inside: on a
# network with such a gateway they reach that IPv4 address, so it is the one judged.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_6TO4 = ipaddress.IPv6Network("2002::/16")
_NUMBER = re.compile(r"0x[0-9a-f]*|[0-9]+")


class EndpointRefused(ValueError):
    """The endpoint is not one the service posts to; the message says why, in plain words."""


class AddressRefused(OSError):
    """Every address a push host resolved to is private: raised inside the connection pool,
    which reports it as a failed connection (nothing was connected)."""


def _address(text: str) -> IPAddress:
    """The address as judged: scope stripped, IPv4 carried inside IPv6 taken out."""
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def is_public(text: str) -> bool:
    """True for an address on the public internet; False for private, loopback, link-local
    (169.254.x, the cloud metadata service), shared (100.64/10), multicast, reserved."""
    ip = _address(text)
    return ip.is_global and not ip.is_multicast


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _is_numeric_name(host: str) -> bool:
    """Old numeric IPv4 forms (127.1, 2130706433, 0x7f.0.0.1) that resolvers still accept.

    As in the WHATWG URL standard, a host whose last label is a number is an address: no
    top-level domain is numeric.
    """
    last = host.rsplit(".", 1)[-1].lower()
    return bool(_NUMBER.fullmatch(last))


def _is_loopback_name(host: str) -> bool:
    literal = _literal(host)
    if literal is not None:
        return _address(host).is_loopback
    return host == "localhost" or host.endswith(".localhost")


@dataclass(frozen=True)
class PushHosts:
    """The address policy for push endpoints (see the module docstring)."""

    # Development: the test receivers and a developer's own push service live on loopback.
    allow_private: bool
    # Development only: plain http to loopback (browsers' push services are always https).
    allow_http_loopback: bool
    # Lower-case host names (or IP literals) allowed on private addresses: self-hosted services.
    private_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> PushHosts:
        return cls(
            allow_private=settings.push_private_addresses_allowed,
            allow_http_loopback=settings.env == "development",
            private_hosts=frozenset(settings.push_private_host_names),
        )

    def address_allowed(self, host: str, address: str) -> bool:
        """May a connection for `host` go to `address`?"""
        return self.allow_private or host.lower() in self.private_hosts or is_public(address)

    def check(self, endpoint: str) -> None:
        """Refuse an endpoint by its URL alone: scheme, credentials, private IP literal or
        loopback name. Names are judged again by their addresses when connecting."""
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise EndpointRefused("endpoint must be an https:// URL of a push service")
        if parts.scheme != "https" and not (
            parts.scheme == "http" and self.allow_http_loopback and _is_loopback_name(host)
        ):
            raise EndpointRefused("endpoint must be an https:// URL of a push service")
        if parts.username is not None or parts.password is not None:
            raise EndpointRefused("endpoint must not carry a user name or password")
        if self.allow_private or host.lower() in self.private_hosts:
            return
        literal = _literal(host)
        if literal is not None and not is_public(host):
            raise EndpointRefused(
                "endpoint must be a push service on the internet, not a private address"
            )
        if literal is None and _is_loopback_name(host):
            raise EndpointRefused("endpoint must be a push service on the internet, not localhost")
        if literal is None and _is_numeric_name(host):
            raise EndpointRefused("endpoint must name its push service, not a numeric address")

    def resolver(self, inner: AbstractResolver | None = None) -> AbstractResolver:
        """A resolver for the connection pool that keeps only the addresses allowed."""
        return _GuardedResolver(self, inner or DefaultResolver())


class _GuardedResolver(AbstractResolver):
    """Resolves with `inner`, then drops the addresses the policy refuses."""

    def __init__(self, policy: PushHosts, inner: AbstractResolver) -> None:
        self._policy = policy
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [entry for entry in found if self._policy.address_allowed(host, entry["host"])]
        if not kept:
            raise AddressRefused(
                f"{host} resolves only to private addresses; push services are on the internet"
            )
        return kept

    async def close(self) -> None:
        await self._inner.close()
