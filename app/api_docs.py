"""The interactive API docs at /docs, with Swagger UI served from a package: they work offline."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, swagger_ui_default_parameters
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs-assets"
# fastapi-offline ships Swagger UI's files (the same ones FastAPI loads from a CDN).
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
# No validator badge: it would ask swagger.io to fetch and check the schema.
SWAGGER_UI_PARAMETERS = {**swagger_ui_default_parameters, "validatorUrl": None}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def swagger_page(openapi_url: str, title: str) -> str:
    """The /docs page: FastAPI's Swagger UI page with every file from this origin."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} - API docs",
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
    )
    return bytes(page.body).decode()


def content_security_policy(page: str) -> str:
    """The policy for `page`: this origin only, plus the one inline script that starts it."""
    hashes = " ".join(_script_hash(script) for script in _INLINE_SCRIPT.findall(page))
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'; object-src 'none'"
    )


def mount_api_docs(app: FastAPI) -> str:
    """Serve /docs and its files on `app`; returns the page's Content-Security-Policy."""
    if app.openapi_url is None:
        raise ValueError("the API docs need the OpenAPI schema")
    page = swagger_page(app.openapi_url, app.title)
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(page)

    return content_security_policy(page)


def _script_hash(script: str) -> str:
    """A CSP source allowing exactly this inline script's text."""
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"
