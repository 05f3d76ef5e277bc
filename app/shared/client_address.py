"""The address a request came from, as audit entries and rate limits record it."""

from __future__ import annotations

from starlette.requests import Request


def client_ip(request: Request) -> str:
    """The peer address (a proxy in front should set uvicorn's --forwarded-allow-ips)."""
    return request.client.host if request.client else ""
