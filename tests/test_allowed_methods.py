"""A path asked with a method it lacks: 405 and `Allow` with every method it has, on every route."""

from __future__ import annotations

import re
from collections import defaultdict

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PARAM = re.compile(r"\{[^}]+\}")


def paths_and_methods(app: FastAPI) -> dict[str, set[str]]:
    """Every routed path (ids filled in) and the union of its routes' methods."""
    table: dict[str, set[str]] = defaultdict(set)
    for context in iter_route_contexts(app.routes):
        if context.methods and context.path:
            path = PARAM.sub("00000000-0000-4000-8000-000000000000", str(context.path))
            table[path] |= set(context.methods)
    return table


def test_every_route_answers_a_wrong_method_with_405_and_a_true_allow(
    client: TestClient,
) -> None:
    table = paths_and_methods(client.app)  # type: ignore[arg-type]
    assert len(table) > 40  # the API really was walked
    refusals = 0
    for path, routed in table.items():
        answers = {method: client.request(method, path) for method in METHODS}
        refused = {m: a for m, a in answers.items() if a.status_code == 405}
        # A route with an {id} may take a sibling path too (/api/staff/{id} takes
        # /api/staff/push-subscriptions): Allow says what really answers, and no less.
        allow = {a.headers["allow"] for a in refused.values()}
        assert len(allow) == 1 or not refused, (path, allow)
        allowed = set(allow.pop().split(", ")) if refused else set(METHODS)
        assert routed <= allowed, (path, routed, allowed)
        for method, answer in answers.items():
            assert (answer.status_code == 405) is (method not in allowed), (method, path)
            if answer.status_code == 405:
                assert answer.json()["code"] == "method_not_allowed"
                assert answer.headers["content-security-policy"]  # behind SecurityHeaders
        refusals += len(refused)
    assert refusals > 100


def test_paths_shared_by_routes_name_all_their_methods(client: TestClient) -> None:
    # One route per method on this path: the PWA's files used to answer `GET, HEAD`.
    answer = client.put("/api/me/push-subscriptions")
    assert (answer.status_code, answer.headers["allow"]) == (405, "DELETE, GET, POST")
    # A write-only path used to answer 404, as if it did not exist.
    answer = client.get("/api/auth/login")
    assert (answer.status_code, answer.headers["allow"]) == (405, "POST")


def test_a_routes_own_404_and_the_pwas_files_are_untouched(staff: TestClient) -> None:
    missing = staff.get("/api/patients/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and missing.json()["code"] != "method_not_allowed"
    assert staff.get("/nothing-here").status_code == 404
    script = staff.post("/app.js")  # a static file: GET and HEAD, as StaticFiles says
    assert (script.status_code, script.headers["allow"]) == (405, "GET, HEAD")
