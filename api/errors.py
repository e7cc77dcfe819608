"""One JSON error shape for every failure: ``{"error": {"code": "...", "message": "...", "details": ...}}``.

Codes are stable (clients may switch on them); messages say what to do. ``rag.errors`` map to 4xx/503;
an unexpected exception becomes a 500 with a generic message (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.errors import IndexStoreError, InputError, ModelError, NotFoundError, ParseError, RagError

log = logging.getLogger(__name__)

# Stable error codes.
VALIDATION_ERROR = "validation_error"
INVALID_INPUT = "invalid_input"
NOT_FOUND = "not_found"
UNSUPPORTED_FILE_TYPE = "unsupported_file_type"
FILE_TOO_LARGE = "file_too_large"
UNPARSEABLE_FILE = "unparseable_file"
UPLOAD_FAILED = "upload_failed"
INDEX_UNAVAILABLE = "index_unavailable"
MODEL_UNAVAILABLE = "model_unavailable"
NOT_READY = "not_ready"
RANGE_NOT_SATISFIABLE = "range_not_satisfiable"
UNAUTHORIZED = "unauthorized"
WRITES_DISABLED = "writes_disabled"
INTERNAL_ERROR = "internal_error"
INTERNAL_MESSAGE = "Internal error; the server log has the details."

_HTTP_CODES = {
    400: "bad_request",
    401: UNAUTHORIZED,
    403: "forbidden",
    404: NOT_FOUND,
    405: "method_not_allowed",
    413: FILE_TOO_LARGE,
    415: UNSUPPORTED_FILE_TYPE,
    416: RANGE_NOT_SATISFIABLE,
    422: VALIDATION_ERROR,
    503: "unavailable",
}

# rag.errors → (HTTP status, code). Order matters: the first isinstance match wins.
RAG_ERROR_MAP: tuple[tuple[type[RagError], int, str], ...] = (
    (InputError, 422, INVALID_INPUT),
    (NotFoundError, 404, NOT_FOUND),
    (ParseError, 422, UNPARSEABLE_FILE),
    (IndexStoreError, 503, INDEX_UNAVAILABLE),
    (ModelError, 503, MODEL_UNAVAILABLE),
)


class ApiError(Exception):
    """Raised by routes and dependencies to answer with the error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = jsonable_encoder(details)
    return {"error": error}


def error_response(
    status: int, code: str, message: str, *, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def rag_error_status(exc: RagError) -> tuple[int, str]:
    for cls, status, code in RAG_ERROR_MAP:
        if isinstance(exc, cls):
            return status, code
    return 400, "rag_error"


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid value"))
        parts.append(f"{loc}: {msg}" if loc else msg)
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "Invalid request: " + "; ".join(parts) + more


async def _api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ApiError):
        return await _unexpected_handler(request, exc)
    return error_response(exc.status, exc.code, exc.message, details=exc.details, headers=exc.headers)


async def _rag_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RagError):
        return await _unexpected_handler(request, exc)
    status, code = rag_error_status(exc)
    if status >= 500:
        log.warning("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(status, code, str(exc) or type(exc).__name__)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        return await _unexpected_handler(request, exc)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
    ]
    return error_response(422, VALIDATION_ERROR, _validation_message(errors), details=errors)


async def _http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        return await _unexpected_handler(request, exc)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail) if exc.detail else "HTTP error"
    if exc.status_code == 404 and message == "Not Found":
        message = f"No such path: {request.url.path}. See /docs for the API."
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, INTERNAL_ERROR, INTERNAL_MESSAGE)


class CatchAllMiddleware:
    """Turn any unhandled exception into the 500 error shape, without re-raising.

    Starlette's own 500 handler re-raises after answering, and uvicorn then drops the keep-alive connection;
    answering here keeps the connection usable and the traceback in the log only.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            log.error("unhandled error on %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
            if started:  # too late for a JSON answer; let the server close the connection
                raise
            response = error_response(500, INTERNAL_ERROR, INTERNAL_MESSAGE)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error_handler)
    app.add_exception_handler(RagError, _rag_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(Exception, _unexpected_handler)  # only reached if CatchAllMiddleware is bypassed
    app.add_middleware(CatchAllMiddleware)

