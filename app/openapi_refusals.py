"""OpenAPI entries for refusals made before or around a route: unreadable, too large, cross-site."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.csrf import SAFE_METHODS
from app.error_codes import ErrorCode
from app.errors import documented_codes, documented_response

# Whatever a route declares, every operation may meet these.
EVERY_OPERATION = (
    # BodySizeLimit judges the Content-Length of any request, with a body or not.
    ErrorCode.PAYLOAD_TOO_LARGE,
    ErrorCode.INTERNAL_ERROR,
    ErrorCode.DATABASE_UNAVAILABLE,  # app/db_unavailable.py: away or full, whatever the route
)
WITH_BODY = (ErrorCode.BAD_REQUEST,)
WITH_INPUT = (ErrorCode.INVALID_INPUT,)  # request validation, or a value the database refuses
WRITES = (ErrorCode.CROSS_SITE_REQUEST,)


def refusals_of(method: str, operation: dict[str, Any]) -> list[ErrorCode]:
    """The codes an operation can answer with whatever its route does."""
    codes = list(EVERY_OPERATION)
    if "requestBody" in operation:
        codes += WITH_BODY
    if "requestBody" in operation or operation.get("parameters"):
        codes += WITH_INPUT
    if method.upper() not in SAFE_METHODS:
        codes += WRITES
    return codes


def add_refusals(method: str, operation: dict[str, Any], extra: tuple[ErrorCode, ...] = ()) -> None:
    """Merge the global refusals into an operation's own documented error responses.

    Every error response ends up as one JSON ErrorBody listing all its codes; FastAPI's own
    422 entry (its HTTPValidationError shape, which the handler never sends) is replaced.
    """
    responses: dict[str, Any] = operation.setdefault("responses", {})
    by_status: dict[int, list[ErrorCode]] = {}
    for key, response in responses.items():
        if key.isdigit() and int(key) >= 400:
            by_status[int(key)] = documented_codes(response)
    for code in [*refusals_of(method, operation), *extra]:
        by_status.setdefault(code.status, []).append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = documented_response(status, codes)


def _schema_path(route_path: str) -> str:
    """A route's path as OpenAPI writes it: `{key:path}` is `{key}` there."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", route_path)


RouteRefusals = Callable[[APIRoute], list[ErrorCode]]


def document_refusals(app: FastAPI, route_refusals: RouteRefusals = lambda route: []) -> None:
    """Add the middleware's and framework's answers to every operation they can reach.

    `route_refusals` names what a route's shared dependencies add (the API layer knows those,
    this module sits below it); an operation is matched to its route by method and path.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            by_operation: dict[tuple[str, str], tuple[ErrorCode, ...]] = {}
            for context in iter_route_contexts(app.routes):  # included routers, with prefixes
                route = context.original_route
                if isinstance(route, APIRoute):
                    for method in context.methods or ():
                        by_operation[(method.lower(), _schema_path(str(context.path)))] = tuple(
                            route_refusals(route)
                        )
            for path, item in schema.get("paths", {}).items():
                for method, operation in item.items():
                    add_refusals(method, operation, by_operation.get((method, path), ()))
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
