"""Session cookie flags follow the public URL: Secure when patients reach us over HTTPS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import Response

from app.api.cookies import STAFF_COOKIE, set_session_cookie
from app.config import Settings


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [("https://aftercare.example.org", True), ("http://127.0.0.1:8000", False)],
)
def test_secure_flag_follows_the_public_url(public_url: str, secure: bool) -> None:
    response = Response()
    settings = Settings(public_url=public_url, _env_file=None)  # type: ignore[call-arg]
    set_session_cookie(
        response,
        name=STAFF_COOKIE,
        token="t" * 32,
        lifetime=timedelta(hours=12),
        settings=settings,
        same_site="strict",
    )
    cookie = response.headers["set-cookie"]
    assert ("Secure" in cookie) is secure
    assert "HttpOnly" in cookie
    assert "Max-Age=43200" in cookie
