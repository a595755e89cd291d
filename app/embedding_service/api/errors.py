"""The one table from the core's errors to HTTP: status, OpenAI error type and code, and retry-after.

Every error response, from a route, the body-size middleware or FastAPI itself, has OpenAI's shape
{"error": {"message", "type", "param", "code"}}; the OpenAPI document's error responses come from here too.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from embedding_service.errors import (
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    ModelNotReadyError,
    QueueFullError,
    RateLimiterUnavailableError,
    RateLimitExceededError,
    RequestTooLargeError,
    ServiceError,
    UsageStoreUnavailableError,
)

logger = logging.getLogger(__name__)

# retry-after policies: the service's overload back-off (OVERLOAD_RETRY_AFTER_S), the error's own value
# (the rate-limit window), or a fixed number of seconds.
OVERLOAD = "overload"
FROM_ERROR = "from_error"


@dataclass(frozen=True)
class ErrorMapping:
    status: int
    type: str
    code: str | None
    retry_after: str | int | None
    description: str


ERROR_TABLE: dict[type[ServiceError], ErrorMapping] = {
    InvalidRequestError: ErrorMapping(400, "invalid_request_error", None, None, "A malformed or out-of-bounds request"),
    AuthenticationError: ErrorMapping(401, "invalid_request_error", "invalid_api_key", None, "No valid bearer key"),
    ModelNotFoundError: ErrorMapping(404, "invalid_request_error", "model_not_found", None, "Not the served model"),
    RequestTooLargeError: ErrorMapping(
        413, "invalid_request_error", "request_too_large", None, "The body is over MAX_BODY_BYTES"
    ),
    RateLimitExceededError: ErrorMapping(
        429, "requests", "rate_limit_exceeded", FROM_ERROR, "The key's rate limit is used up"
    ),
    QueueFullError: ErrorMapping(429, "server_error", "queue_full", OVERLOAD, "The model's queue is full"),
    ModelNotReadyError: ErrorMapping(503, "server_error", "model_not_ready", OVERLOAD, "The model is loading"),
    RateLimiterUnavailableError: ErrorMapping(
        503, "server_error", "rate_limiter_unavailable", OVERLOAD, "Redis is down and the rate limit fails closed"
    ),
    UsageStoreUnavailableError: ErrorMapping(
        503, "server_error", "database_unavailable", 5, "The usage database does not answer"
    ),
}


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorBody(BaseModel):
    """OpenAI's error shape."""

    error: ErrorDetail


def error_json(
    status: int,
    message: str,
    error_type: str,
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def response_for(error: ServiceError, overload_retry_after_s: int) -> JSONResponse:
    """The HTTP answer to a core error, by the table."""
    mapping = ERROR_TABLE[type(error)]
    headers = dict(error.headers) if isinstance(error, RateLimitExceededError) else {}
    if mapping.retry_after == OVERLOAD:
        headers["retry-after"] = str(overload_retry_after_s)
    elif mapping.retry_after == FROM_ERROR:
        headers["retry-after"] = str(error.retry_after_s or overload_retry_after_s)
    elif isinstance(mapping.retry_after, int):
        headers["retry-after"] = str(mapping.retry_after)
    if mapping.status == 413:
        headers["connection"] = "close"
    return error_json(mapping.status, error.message, mapping.type, error.param, mapping.code, headers)


def status_of(error: ServiceError) -> int:
    return ERROR_TABLE[type(error)].status


def documented_errors(*errors: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses for the errors a route can raise, merged per status."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        mapping = ERROR_TABLE[error]
        response = responses.setdefault(mapping.status, {"model": ErrorBody, "description": ""})
        code = f" (`{mapping.code}`)" if mapping.code else ""
        response["description"] = "; ".join(filter(None, [response["description"], mapping.description + code]))
        if mapping.retry_after is not None:
            response["headers"] = {
                "retry-after": {
                    "description": "Seconds to wait before retrying.",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                }
            }
    return responses


def add_error_handlers(app: FastAPI, overload_retry_after_s: int) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, error: ServiceError) -> JSONResponse:
        return response_for(error, overload_retry_after_s)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        error_type = "not_found_error" if error.status_code == 404 else "invalid_request_error"
        return error_json(error.status_code, str(error.detail), error_type, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_parameters(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        param = str(first["loc"][-1])
        return error_json(400, f"'{param}': {first['msg']}", "invalid_request_error", param=param)

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return error_json(500, "Internal server error.", "server_error")
