"""The console's files without a browser: the CSP rules they keep, imports that resolve, and
the server handing out the page, its modules and its service worker."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.web_files import WEB, assert_csp_clean

CONSOLE = WEB / "console"
IMPORT = re.compile(r"""(?:from|import)\s*\(?\s*["']([^"']+)["']""")


def _scripts() -> list[Path]:
    return [CONSOLE / "sw.js", *sorted((CONSOLE / "js").glob("*.js"))]


def test_the_console_needs_nothing_the_content_security_policy_forbids() -> None:
    tags = assert_csp_clean(CONSOLE / "index.html", _scripts())
    assert ("script", {"type": "module", "src": "/console/js/app.js"}) in tags


def test_every_import_and_every_routed_page_exists() -> None:
    for script in _scripts():
        for target in IMPORT.findall(script.read_text()):
            base = WEB if target.startswith("/") else script.parent
            path = (base / target.lstrip("/")).resolve()
            assert path.is_file(), f"{script.name} imports {target}, which is missing"
    router = (CONSOLE / "js" / "app.js").read_text()
    for page in re.findall(r'\[/\^[^,]+, "(\w+)"', router):
        assert (CONSOLE / "js" / f"{page}.js").is_file(), f"route to a missing page {page}"


def test_the_server_hands_out_the_console_and_its_worker(client: TestClient) -> None:
    page = client.get("/console/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    worker = client.get("/console/sw.js")
    assert worker.status_code == 200
    assert "javascript" in worker.headers["content-type"]
    assert worker.headers["cache-control"] == "no-cache"  # a new worker is picked up at once
    for path in ("/console/console.css", "/console/js/app.js", "/js/dom.js", "/js/api.js"):
        assert client.get(path).status_code == 200, path
