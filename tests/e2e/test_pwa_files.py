"""The PWA's files without a browser: the CSP rules they must keep, the manifest, the icons,
the service worker's list of files, and the first-load weight."""

from __future__ import annotations

import gzip
import json
import re
import struct
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.web_files import WEB, assert_csp_clean

FIRST_LOAD = ["index.html", "app.js", "styles.css", "manifest.webmanifest"]
FIRST_LOAD_BUDGET = 60 * 1024  # bytes, gzip


def _scripts() -> list[Path]:
    return [WEB / "app.js", WEB / "sw.js", *sorted((WEB / "js").glob("*.js"))]


def test_the_page_needs_nothing_the_content_security_policy_forbids() -> None:
    for tag, attrs in assert_csp_clean(WEB / "index.html", _scripts()):
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/"), "scripts come from this origin, by src"


def test_the_service_worker_keeps_every_file_of_the_app_shell() -> None:
    text = (WEB / "sw.js").read_text()
    shell = json.loads(
        "[" + re.search(r"const SHELL = \[(.*?)\];", text, re.S)[1].rstrip(", \n") + "]"
    )  # type: ignore[index]
    modules = {f"/js/{p.name}" for p in (WEB / "js").glob("*.js")}
    assert modules <= set(shell), f"missing from SHELL in sw.js: {sorted(modules - set(shell))}"
    for path in shell:
        assert (WEB / path.lstrip("/")).is_file(), f"{path} is in SHELL but not in app/web/"
    imported = set(re.findall(r'from "\./(js/[a-z]+\.js)"', (WEB / "app.js").read_text()))
    assert {f"/{m}" for m in imported} <= set(shell)


def test_the_manifest_makes_the_app_installable() -> None:
    manifest = json.loads((WEB / "manifest.webmanifest").read_text())
    assert manifest["id"] == "/"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/",
        "/",
        "standalone",
    )
    assert manifest["name"] and manifest["short_name"]
    assert manifest["theme_color"] and manifest["background_color"]
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        data = (WEB / icon["src"].lstrip("/")).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert f"{width}x{height}" == icon["sizes"], icon["src"]


def test_first_load_is_light() -> None:
    files = FIRST_LOAD + [str(p.relative_to(WEB)) for p in sorted((WEB / "js").glob("*.js"))]
    sizes = {name: len(gzip.compress((WEB / name).read_bytes(), 9)) for name in files}
    total = sum(sizes.values())
    assert total < FIRST_LOAD_BUDGET, f"{total} bytes gzip: {sizes}"


def test_the_server_serves_the_app_with_its_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/enrol").text == page.text
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["cache-control"] == "no-cache"
    assert worker.headers["content-type"].startswith("text/javascript")
    assert (
        client.get("/manifest.webmanifest")
        .headers["content-type"]
        .startswith("application/manifest+json")
    )
