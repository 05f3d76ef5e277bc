"""Checks on the static web files (PWA and console) that need no browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "app" / "web"

Tag = tuple[str, dict[str, str | None]]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[Tag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_csp_clean(page: Path, scripts: list[Path]) -> list[Tag]:
    """Assert the page and its scripts need nothing a strict CSP forbids; the page's tags.

    No <style> blocks, style attributes, inline handlers or external src/href in the page;
    no inline styles set, HTML parsed or code evaluated by the scripts, and
    no other origin reached.
    """
    parser = _Tags()
    parser.feed(page.read_text())
    for tag, attrs in parser.tags:
        assert tag != "style", "no <style> blocks: style-src 'self' only"
        assert "style" not in attrs, f"<{tag} style=...> needs 'unsafe-inline'"
        assert not [a for a in attrs if a.startswith("on")], f"inline handler on <{tag}>"
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), f"external {value}"
    for script in scripts:
        text = script.read_text()
        assert not re.search(r"\.style\s*(\.|\[|=)", text), f"{script.name} sets inline styles"
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, (
            f"{script.name}: build elements, never parse HTML"
        )
        assert "eval(" not in text and "new Function" not in text, script.name
        assert not re.search(r"https?://", text.replace("http://www.w3.org/2000/svg", "")), (
            f"{script.name} reaches another origin"
        )
    return parser.tags
