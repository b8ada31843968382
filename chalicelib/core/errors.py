"""Domain errors: plain exceptions with a stable machine-readable code.

They carry no HTTP; ``chalicelib.core.http`` maps them to status codes in one place.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every expected failure a caller can act on."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequestError(DomainError):
    """The request cannot be read at all (malformed JSON, wrong content type)."""

    code = "BAD_REQUEST"


class ValidationFailedError(DomainError):
    """The request was read but its values break the rules (field-level details)."""

    code = "VALIDATION_FAILED"


class UnauthorizedError(DomainError):
    """No valid credentials."""

    code = "UNAUTHORIZED"


class ForbiddenError(DomainError):
    """Valid credentials, but not allowed to do this."""

    code = "FORBIDDEN"


class NotFoundError(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "NOT_FOUND"


class MethodNotAllowedError(DomainError):
    """The path exists but not with this method."""

    code = "METHOD_NOT_ALLOWED"


class ConflictError(DomainError):
    """The request conflicts with the current state (duplicate, stale version, bad transition)."""

    code = "CONFLICT"


class PayloadTooLargeError(DomainError):
    """The request body is larger than allowed."""

    code = "PAYLOAD_TOO_LARGE"


class RateLimitedError(DomainError):
    """Too many attempts; ``retry_after`` seconds until the next is allowed."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class DependencyUnavailableError(DomainError):
    """A downstream dependency (table, bus, provider) is not reachable."""

    code = "DEPENDENCY_UNAVAILABLE"
