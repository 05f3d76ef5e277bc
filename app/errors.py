"""Typed application errors and the one handler that renders them as JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from app.error_codes import ErrorCode
from app.validation_words import detail_of, field_of, sentence

log = logging.getLogger("aftercare.errors")


class ErrorBody(BaseModel):
    """Every error response: a stable machine code and a sentence for people."""

    code: ErrorCode
    detail: str


class AppError(Exception):
    """Base for errors a service raises on purpose; rendered with its status and code."""

    status_code = 400
    code = ErrorCode.BAD_REQUEST

    def __init__(self, detail: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class InvalidInput(AppError):
    status_code = 422
    code = ErrorCode.INVALID_INPUT


class NotAuthenticated(AppError):
    status_code = 401
    code = ErrorCode.NOT_AUTHENTICATED


class Forbidden(AppError):
    status_code = 403
    code = ErrorCode.FORBIDDEN


class NotFound(AppError):
    status_code = 404
    code = ErrorCode.NOT_FOUND


class Conflict(AppError):
    status_code = 409
    code = ErrorCode.CONFLICT


class BadGateway(AppError):
    """A service we depend on (the mail server, the SMS gateway) did not take the message."""

    status_code = 502
    code = ErrorCode.SEND_FAILED


class Gone(AppError):
    status_code = 410
    code = ErrorCode.GONE


class TooManyRequests(AppError):
    """A rate limit was hit; `retry_after` (seconds) goes out as the Retry-After header."""

    status_code = 429
    code = ErrorCode.TOO_MANY_REQUESTS

    def __init__(self, detail: str, *, retry_after: int, code: ErrorCode | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(1, retry_after)


class ServiceBusy(AppError):
    """Too much of some costly work is in flight; try again after `retry_after` seconds."""

    status_code = 503
    code = ErrorCode.BUSY

    def __init__(self, detail: str, *, retry_after: int, code: ErrorCode | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(1, retry_after)


# A code and the status it comes with; a bare ErrorCode stands for its only status.
Refusal = ErrorCode | tuple[ErrorCode, int]
ERROR_MEDIA_TYPE = "application/json"


def errors(*refusals: Refusal) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the codes a route can answer with, grouped by their status.

    Each status lists its codes and their meanings, and has one example per code; the
    refusals every route can meet (openapi_refusals) are added to these, not repeated here.
    """
    by_status: dict[int, list[ErrorCode]] = {}
    for refusal in refusals:
        code, status = refusal if isinstance(refusal, tuple) else (refusal, refusal.status)
        if status not in code.statuses:
            raise ValueError(f"{code.name} never comes with status {status}")
        by_status.setdefault(status, []).append(code)
    return {
        status: {"model": ErrorBody, **documented_response(status, codes)}
        for status, codes in sorted(by_status.items())
    }


def documented_response(status: int, codes: list[ErrorCode]) -> dict[str, Any]:
    """An OpenAPI response's description and JSON content naming exactly `codes`."""
    listed = sorted(dict.fromkeys(codes), key=list(ErrorCode).index)
    lines = "\n".join(f"- `{code}`: {code.meaning}" for code in listed)
    examples = {
        str(code): {"summary": code.meaning, "value": {"code": str(code), "detail": code.meaning}}
        for code in listed
    }
    return {
        "description": f"{HTTPStatus(status).phrase}. The `code` is one of:\n\n{lines}",
        "content": {
            ERROR_MEDIA_TYPE: {
                "schema": {"$ref": "#/components/schemas/ErrorBody"},
                "examples": examples,
            }
        },
    }


def documented_codes(response: dict[str, Any]) -> list[ErrorCode]:
    """The codes an OpenAPI response (from `documented_response`) names."""
    examples = response.get("content", {}).get(ERROR_MEDIA_TYPE, {}).get("examples", {})
    return [_BY_VALUE[code] for code in examples if code in _BY_VALUE]


_BY_VALUE = {code.value: code for code in ErrorCode}


# What the framework's own HTTPExceptions mean here (Starlette, FastAPI, StaticFiles).
FRAMEWORK_CODES = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
}


# Rewords an error body for the person asking (a patient's language); set by app.main.
Localise = Callable[[Request, dict[str, Any]], dict[str, Any]]


def _unchanged(_: Request, content: dict[str, Any]) -> dict[str, Any]:
    return content


def install_error_handlers(app: FastAPI, localise: Localise = _unchanged) -> None:
    """Render AppError and request validation errors in the one ErrorBody shape, worded by
    `localise` for the person asking."""

    async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        body = ErrorBody(code=exc.code, detail=exc.detail)
        headers = (
            {"Retry-After": str(exc.retry_after)}
            if isinstance(exc, TooManyRequests | ServiceBusy)
            else None
        )
        return JSONResponse(
            localise(request, body.model_dump(mode="json")),
            status_code=exc.status_code,
            headers=headers,
        )

    async def handle_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        body = ErrorBody(code=ErrorCode.INVALID_INPUT, detail=detail_of(errors))
        # Only where and what: echoing `input` back could repeat a password into logs. Each
        # error names its `field` and says what is wrong in `message` (a form puts it there).
        where_and_what = [
            {
                "loc": list(e.get("loc", ())),
                "field": field_of(e.get("loc", ())),
                "message": sentence(e),
                "msg": e.get("msg"),
                "type": e.get("type"),
            }
            for e in errors[:20]
        ]
        content = body.model_dump(mode="json") | {"errors": jsonable_encoder(where_and_what)}
        return JSONResponse(localise(request, content), status_code=422)

    async def handle_http(_: Request, exc: Exception) -> JSONResponse:
        # The framework's own refusals (unparsable body, unknown route, wrong method) in the
        # same shape, so a client reads one kind of error body whatever refused it.
        assert isinstance(exc, HTTPException)
        code = FRAMEWORK_CODES.get(exc.status_code, ErrorCode.HTTP_ERROR)
        body = ErrorBody(code=code, detail=str(exc.detail))
        return JSONResponse(
            body.model_dump(mode="json"), status_code=exc.status_code, headers=exc.headers
        )

    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(HTTPException, handle_http)
    app.add_exception_handler(DataError, handle_data_error)


async def handle_data_error(_: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot hold (a NUL character, an integer past its column type):
    # PostgreSQL refuses what SQLite takes. The request's fault, so 422, not a 500.
    # The class only: the server's message may quote the value (a name, an e-mail address).
    log.warning("database refused a value (%s)", type(getattr(exc, "orig", exc)).__name__)
    body = ErrorBody(
        code=ErrorCode.INVALID_INPUT, detail="A value in the request cannot be stored."
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=422)
