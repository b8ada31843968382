"""Errors of the event archive."""

from __future__ import annotations

from chalicelib.core.errors import ValidationFailedError


class SchemaViolationError(ValidationFailedError):
    """A known event type arrived with a detail that breaks its schema."""

    code = "EVENT_SCHEMA_VIOLATION"
