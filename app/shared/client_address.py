"""The address a request came from, as audit entries and rate limits record it."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.requests import Request

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def client_ip(request: Request) -> str:
    """The client's address: the peer, or the hop a trusted proxy named (app.proxy_headers)."""
    return request.client.host if request.client else ""


def parse_address(text: str) -> Address | None:
    """One X-Forwarded-For hop as an address: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:5678`.

    Anything else (`unknown`, an obfuscated RFC 7239 name, garbage) is None.
    """
    text = text.strip()
    if text.startswith("["):  # [v6] or [v6]:port
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # v4:port; a bare v6 address has at least two colons
        text = text.split(":", 1)[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 listener shows as ::ffff:a.b.c.d: keep it one address.
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address | None, proxies: Iterable[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def forwarded_client(peer: str, forwarded_for: Iterable[str], proxies: tuple[Network, ...]) -> str:
    """Who sent the request, given the peer and the X-Forwarded-For headers in order.

    Only a trusted proxy's word counts: from an untrusted peer (or with no trusted proxies)
    the peer is the client and X-Forwarded-For is ignored, since anyone can send one. From a
    trusted peer, hops are read from the right (each proxy appends the address it was
    reached from) past every trusted proxy; the first untrusted hop is the client. Whatever
    lies to its left was written by the client itself and is never believed. A hop that is
    not an address stops the walk at the trusted proxy that wrote it: that proxy is the
    furthest address anyone vouches for.
    """
    peer_address = parse_address(peer)
    if not is_trusted(peer_address, proxies):
        return peer
    assert peer_address is not None
    client = peer_address
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        client = address
        if not is_trusted(address, proxies):
            break
    return str(client)
