"""The development API docs render in a browser that can reach nothing but this server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.e2e.pwa_support import Live

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def test_the_docs_render_offline_within_their_policy(browser: Any, live: Live) -> None:
    context = browser.new_context(base_url=live.base_url)
    blocked: list[str] = []
    refused: list[str] = []

    def only_loopback(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK or url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.on(
        "console", lambda message: refused.append(message.text) if message.type == "error" else None
    )
    page.goto("/docs")
    # One operation of each kind that the schema lists: Swagger UI has fetched and drawn it.
    page.locator(".opblock-summary-path", has_text="/api/health").first.wait_for(timeout=15000)
    page.locator(".opblock-tag", has_text="service").first.wait_for()
    assert page.locator(".opblock").count() > 20
    assert blocked == []  # it never tried to leave the machine
    assert refused == []  # and the page's own policy refused nothing it needs
    context.close()
