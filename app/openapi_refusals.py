"""OpenAPI entries for refusals made before a route runs: unreadable, too large, cross-site."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.csrf import SAFE_METHODS

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
# Every operation that takes a body may meet these, whatever its route declares.
BODY_REFUSALS = {
    "400": "The body could not be read (not UTF-8, or not parseable).",
    "413": "The body is larger than the service accepts.",
}
WRITE_REFUSALS = {"403": "Forbidden (for any write: sent from another site)."}


def document_refusals(app: FastAPI) -> None:
    """Add the middleware's and framework's answers to every operation they can reach."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for item in schema.get("paths", {}).values():
                for method, operation in item.items():
                    added = dict(BODY_REFUSALS) if "requestBody" in operation else {}
                    if method.upper() not in SAFE_METHODS:
                        added |= WRITE_REFUSALS
                    responses = operation.setdefault("responses", {})
                    for status, description in added.items():
                        responses.setdefault(
                            status, {"description": description, "content": ERROR_BODY}
                        )
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
