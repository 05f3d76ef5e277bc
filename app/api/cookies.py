"""Session cookies: HttpOnly, SameSite, Secure and `__Host-` when the service is on HTTPS."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import Request, Response

from app.config import Settings

STAFF_COOKIE = "aftercare_staff"
PATIENT_COOKIE = "aftercare_device"
# Browsers accept a `__Host-` cookie only if it is Secure, Path=/ and has no Domain, and then
# no sibling subdomain or plain-http page can set or shadow it. Over plain http (development,
# a phone on the Wi-Fi) a Secure cookie is refused, so there the plain name is used.
HOST_PREFIX = "__Host-"


def cookie_name(name: str, settings: Settings) -> str:
    """The name `name` is set and read under: `__Host-<name>` when cookies are Secure."""
    return HOST_PREFIX + name if settings.secure_cookies else name


def session_token(request: Request, name: str, settings: Settings) -> str:
    """The session cookie's value, under the one name in use (a plain-name copy is ignored)."""
    return request.cookies.get(cookie_name(name, settings), "")


def set_session_cookie(
    response: Response,
    *,
    name: str,
    token: str,
    lifetime: timedelta,
    settings: Settings,
    same_site: Literal["strict", "lax"],
) -> None:
    response.set_cookie(
        cookie_name(name, settings),
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,  # never readable by JavaScript
        secure=settings.secure_cookies,
        samesite=same_site,
        path="/",  # no domain: host-only, as `__Host-` requires
    )


def clear_session_cookie(response: Response, *, name: str, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(name, settings), path="/", httponly=True, secure=settings.secure_cookies
    )
