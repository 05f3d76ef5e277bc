"""Error codes are one enumerated set, made where they are declared and documented where made."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import app as app_package
from app.error_codes import ErrorCode
from app.errors import AppError, Conflict, documented_codes, errors, install_error_handlers
from app.openapi_refusals import document_refusals
from app.reports.triage import TriageError
from tests.support import error_codes_seen, error_table

APP_DIR = Path(app_package.__file__).resolve().parent
# Where a code is only described, not made: a reference here does not count as raising it.
DOCUMENTING = {APP_DIR / "error_codes.py", APP_DIR / "openapi_refusals.py"}
# Codes no operation lists, each for a reason (any other code must be on some operation).
NOT_ON_AN_OPERATION = {
    ErrorCode.METHOD_NOT_ALLOWED: "a path asked with the wrong method, no operation's own",
    ErrorCode.HTTP_ERROR: "any other refusal of the HTTP framework, none expected",
    ErrorCode.BACKUP_FAILED: "the command line's, never an HTTP answer",
    ErrorCode.CONFLICT: "Conflict's default; only create_clinic (the command line) raises it",
    ErrorCode.TOO_MANY_REQUESTS: "TooManyRequests' default; the limiter says too_many_attempts",
}


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(APP_DIR.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def member_of(node: ast.AST) -> str | None:
    """`X` for an expression `ErrorCode.X`."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr if node.value.id == "ErrorCode" else None
    return None


def called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def error_classes() -> dict[str, type[AppError]]:
    """Every AppError subclass the app defines, by name."""
    found: dict[str, type[AppError]] = {}
    todo: list[type[AppError]] = [AppError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    result: dict[str, Any] = client.get("/openapi.json").json()
    return result


class TestTheSet:
    def test_every_code_is_made_somewhere(self) -> None:
        made: set[str] = set()
        for path, tree in modules():
            if path in DOCUMENTING:
                continue
            declarations = {
                id(node)
                for call in ast.walk(tree)
                if isinstance(call, ast.Call) and called_name(call) == "errors"
                for node in ast.walk(call)
            }
            made |= {
                name
                for node in ast.walk(tree)
                if id(node) not in declarations and (name := member_of(node))
            }
        assert {code.name for code in ErrorCode} - made == set()

    def test_no_code_is_a_string(self) -> None:
        """`code=` to an error and `"code":` in a body are members, never string literals."""
        loose = []
        for path, tree in modules():
            for node in ast.walk(tree):
                values: list[ast.expr] = []
                if isinstance(node, ast.Call) and called_name(node) in self.error_names():
                    values = [k.value for k in node.keywords if k.arg == "code"]
                elif isinstance(node, ast.Dict):
                    values = [
                        v
                        for k, v in zip(node.keys, node.values, strict=True)
                        if isinstance(k, ast.Constant) and k.value == "code"
                    ]
                elif isinstance(node, ast.ClassDef) and node.name in self.error_names():
                    values = [
                        s.value
                        for s in node.body
                        if isinstance(s, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "code" for t in s.targets)
                    ]
                loose += [
                    f"{path.relative_to(APP_DIR.parent)}:{v.lineno}"
                    for v in values
                    if isinstance(v, ast.Constant | ast.JoinedStr | ast.BinOp)
                ]
        assert loose == []

    @staticmethod
    def error_names() -> set[str]:
        return set(error_classes()) | {TriageError.__name__, "ErrorBody"}

    def test_each_error_class_default_comes_with_its_status(self) -> None:
        for cls in error_classes().values():
            assert isinstance(cls.code, ErrorCode), cls
            assert cls.status_code in cls.code.statuses, cls

    def test_each_raise_site_code_comes_with_its_class_status(self) -> None:
        classes = error_classes()
        wrong = []
        for path, tree in modules():
            for call in ast.walk(tree):
                if not isinstance(call, ast.Call) or called_name(call) not in classes:
                    continue
                cls = classes[called_name(call) or ""]
                for keyword in call.keywords:
                    name = member_of(keyword.value) if keyword.arg == "code" else None
                    if name and cls.status_code not in ErrorCode[name].statuses:
                        wrong.append(f"{path.name}:{call.lineno} {cls.__name__} {name}")
        assert wrong == []

    def test_a_code_with_two_statuses_must_be_told_which(self) -> None:
        with pytest.raises(ValueError, match="WRONG_CODE"):
            errors(ErrorCode.WRONG_CODE)
        with pytest.raises(ValueError, match="never comes with status 404"):
            errors((ErrorCode.WRONG_CODE, 404))
        assert set(errors((ErrorCode.WRONG_CODE, 422))) == {422}

    def test_the_docs_table_is_the_enum(self) -> None:
        text = error_table.DOC.read_text(encoding="utf-8")
        assert error_table.documented_table(text) == error_table.render(), (
            "docs/errors.md is out of date: python -m tests.support.error_table --write"
        )


class TestTheSchema:
    def test_the_error_body_lists_the_whole_set(self, schema: dict[str, Any]) -> None:
        components = schema["components"]["schemas"]
        assert components["ErrorBody"]["properties"]["code"] == {
            "$ref": "#/components/schemas/ErrorCode"
        }
        assert components["ErrorCode"]["enum"] == [code.value for code in ErrorCode]
        meanings = components["ErrorCode"]["x-enum-descriptions"]
        assert meanings == [code.meaning for code in ErrorCode]
        assert all(m and "\n" not in m for m in meanings), (
            "each code says in one line what it means"
        )

    def test_every_code_is_documented_on_an_operation_or_says_why_not(
        self, schema: dict[str, Any]
    ) -> None:
        documented = {
            code
            for item in schema["paths"].values()
            for operation in item.values()
            for response in operation["responses"].values()
            for code in documented_codes(response)
        }
        assert set(ErrorCode) - documented == set(NOT_ON_AN_OPERATION)
        assert documented & set(NOT_ON_AN_OPERATION) == set()

    def test_each_status_lists_its_codes_with_meanings_and_an_example_each(
        self, schema: dict[str, Any]
    ) -> None:
        responses = schema["paths"]["/api/patients/{patient_id}/appointments/{key}"]["put"][
            "responses"
        ]
        assert set(responses["422"]["content"]["application/json"]["examples"]) == {
            "invalid_input",
            "booking_in_past",
            "booking_too_far",
        }
        assert ErrorCode.APPOINTMENT_PAST.meaning in responses["409"]["description"]
        example = responses["404"]["content"]["application/json"]["examples"]["not_found"]
        assert example["value"]["code"] == "not_found"

    def test_the_global_refusals_merge_with_the_routes_own(self, schema: dict[str, Any]) -> None:
        erase = schema["paths"]["/api/patients/{patient_id}"]["delete"]["responses"]
        assert documented_codes(erase["403"]) == [
            ErrorCode.CROSS_SITE_REQUEST,
            ErrorCode.ADMIN_ONLY,
            ErrorCode.SECOND_FACTOR_REQUIRED,  # from the staff dependency (route_refusals)
        ]
        me = schema["paths"]["/api/auth/me"]["get"]["responses"]
        assert "403" not in me  # open to an account that still owes its second factor
        for status in ("413", "422", "500"):
            assert documented_codes(erase[status])
        health = schema["paths"]["/api/health"]["get"]["responses"]
        assert "422" not in health and "403" not in health  # no input, not a write
        assert documented_codes(health["500"]) == [ErrorCode.INTERNAL_ERROR]

    def test_every_error_response_is_the_json_error_body(self, schema: dict[str, Any]) -> None:
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                for status, response in operation["responses"].items():
                    if int(status) >= 400:
                        assert list(response["content"]) == ["application/json"], (
                            f"{method} {path} {status}"
                        )


class TestTheSessionCheck:
    """The plugin that holds every test's error answers against the schema works."""

    def test_it_is_registered_and_sees_answers(self, client: TestClient) -> None:
        assert client.get("/api/me").status_code == 401
        seen = error_codes_seen.RECORDER.seen
        assert error_codes_seen.Answer("GET", "/api/me", 401, "not_authenticated") in seen

    def test_it_flags_a_code_the_operation_does_not_list(self) -> None:
        app = FastAPI()
        install_error_handlers(app)

        @app.get("/api/things/{thing_id}", responses=errors(ErrorCode.NOT_FOUND))
        def thing(thing_id: int) -> None:
            raise Conflict("taken", code=ErrorCode.NAME_TAKEN)

        document_refusals(app)
        error_codes_seen.RECORDER.ignore(app)  # the session's own check must not fail on it
        local = error_codes_seen.Recorder()

        async def watched(scope: Any, receive: Any, send: Any) -> None:
            await local.call(app, scope, receive, send, app)

        with TestClient(watched) as client:
            assert client.get("/api/things/1").status_code == 409
            assert client.get("/api/things/x").status_code == 422  # documented globally
        assert list(local.undocumented) == [
            error_codes_seen.Answer("GET", "/api/things/{thing_id}", 409, "name_taken")
        ]
        assert len(local.seen) == 2
