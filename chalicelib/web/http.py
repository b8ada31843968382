"""Domain errors → HTTP, in one place, and the JSON error body every 4xx/5xx uses.

Body: ``{"error": {"code", "message", "details", "request_id"}}``.
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.core import errors

STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.BadRequestError: 400,
    errors.UnauthorizedError: 401,
    errors.ForbiddenError: 403,
    errors.NotFoundError: 404,
    errors.MethodNotAllowedError: 405,
    errors.ConflictError: 409,
    errors.PayloadTooLargeError: 413,
    errors.ValidationFailedError: 422,
    errors.RateLimitedError: 429,
    errors.DependencyUnavailableError: 503,
}

# Chalice's own error responses ({"Code": ..., "Message": ...}) mapped to our codes.
CHALICE_CODES = {
    "BadRequestError": "BAD_REQUEST",
    "BadRequest": "BAD_REQUEST",
    "UnauthorizedError": "UNAUTHORIZED",
    "ForbiddenError": "FORBIDDEN",
    "NotFoundError": "NOT_FOUND",
    "MethodNotAllowedError": "METHOD_NOT_ALLOWED",
    "ConflictError": "CONFLICT",
    "UnprocessableEntityError": "VALIDATION_FAILED",
    "TooManyRequestsError": "RATE_LIMITED",
    "UnsupportedMediaType": "UNSUPPORTED_MEDIA_TYPE",
    "InternalServerError": "INTERNAL_ERROR",
}


def status_for(error: errors.DomainError) -> int:
    """The HTTP status of a domain error (nearest registered base class)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def error_body(code: str, message: str, details: Any, request_id: str | None) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "details": details, "request_id": request_id}
    }


def error_response(error: errors.DomainError, request_id: str | None) -> Response:
    """The JSON response for a domain error."""
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if isinstance(error, errors.RateLimitedError):
        headers["Retry-After"] = str(error.retry_after)
    return Response(
        body=error_body(error.code, error.message, error.details, request_id),
        status_code=status_for(error),
        headers=headers,
    )


def internal_error_response(request_id: str | None) -> Response:
    """A 500 that reveals nothing but the request id to quote to support."""
    return Response(
        body=error_body("INTERNAL_ERROR", "An internal error occurred", None, request_id),
        status_code=500,
        headers={"Content-Type": "application/json"},
    )
