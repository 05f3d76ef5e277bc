"""Session cookies: HttpOnly, SameSite, Secure when the service is reached over HTTPS."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import Response

from app.config import Settings

STAFF_COOKIE = "aftercare_staff"
PATIENT_COOKIE = "aftercare_device"


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
        name,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,  # never readable by JavaScript
        secure=settings.secure_cookies,
        samesite=same_site,
        path="/",
    )


def clear_session_cookie(response: Response, *, name: str, settings: Settings) -> None:
    response.delete_cookie(name, path="/", httponly=True, secure=settings.secure_cookies)
