"""The app's routes found by what they depend on: e.g. every route that needs a staff session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def routes_depending_on(app: FastAPI, call: Callable[..., Any]) -> list[tuple[str, str]]:
    """(method, path) of every API route that depends on `call`, at any depth."""
    found = []
    for context in iter_route_contexts(app.routes):  # included routers, with their prefixes
        route = context.original_route
        if isinstance(route, APIRoute) and _depends_on(route.dependant, call):
            found += [(method, str(context.path)) for method in sorted(context.methods or ())]
    return found
