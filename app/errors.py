"""Typed application errors and the one handler that renders them as JSON."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

log = logging.getLogger("aftercare.errors")


class ErrorBody(BaseModel):
    """Every error response: a stable machine code and a sentence for people."""

    code: str
    detail: str


class AppError(Exception):
    """Base for errors a service raises on purpose; rendered with its status and code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Gone(AppError):
    status_code = 410
    code = "gone"


class TooManyRequests(AppError):
    """A rate limit was hit; `retry_after` (seconds) goes out as the Retry-After header."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(1, retry_after)


def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses=` entries documenting the error statuses a route can return."""
    return {status: {"model": ErrorBody} for status in statuses}


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        location = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{location}: {error.get('msg', 'invalid')}" if location else error["msg"])
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Render AppError and request validation errors in the one ErrorBody shape."""

    async def handle_app_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        body = ErrorBody(code=exc.code, detail=exc.detail)
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        )
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=headers)

    async def handle_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        body = ErrorBody(code="invalid_input", detail=_validation_detail(exc))
        # Only where and what: echoing `input` back could repeat a password into logs.
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()[:20]
        ]
        content = body.model_dump() | {"errors": jsonable_encoder(errors)}
        return JSONResponse(content, status_code=422)

    async def handle_http(_: Request, exc: Exception) -> JSONResponse:
        # The framework's own refusals (unparsable body, unknown route, wrong method) in the
        # same shape, so a client reads one kind of error body whatever refused it.
        assert isinstance(exc, HTTPException)
        try:
            phrase = HTTPStatus(exc.status_code).phrase
        except ValueError:
            phrase = "http error"
        code = phrase.lower().replace(" ", "_").replace("-", "_")
        body = ErrorBody(code=code, detail=str(exc.detail))
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(HTTPException, handle_http)
    app.add_exception_handler(DataError, handle_data_error)


async def handle_data_error(_: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot hold (a NUL character, an integer past its column type):
    # PostgreSQL refuses what SQLite takes. The request's fault, so 422, not a 500.
    # The class only: the server's message may quote the value (a name, an e-mail address).
    log.warning("database refused a value (%s)", type(getattr(exc, "orig", exc)).__name__)
    body = ErrorBody(code="invalid_input", detail="A value in the request cannot be stored.")
    return JSONResponse(body.model_dump(), status_code=422)
