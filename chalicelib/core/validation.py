"""Request-body validation at the edge: raw bytes → a pydantic model, or a 4xx error."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.core.errors import BadRequestError, ValidationFailedError

ModelT = TypeVar("ModelT", bound=BaseModel)


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are refused, strings are trimmed."""

    # defer_build: validators are built on first use, not for every model at cold start.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class ResponseModel(BaseModel):
    """Base of response bodies (documented in OpenAPI)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)  # built on first use


def field_errors(error: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{"field": "a.b", "message": ..., "type": ...}]``."""
    out = []
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        out.append({"field": field, "message": item["msg"], "type": item["type"]})
    return out


def parse_json(raw: bytes | str | None) -> Any:
    """Decode a JSON body; raises BadRequestError when it is empty or malformed."""
    if raw is None or raw in (b"", ""):
        raise BadRequestError("Request body is required and must be JSON")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(f"Request body is not valid JSON: {exc}") from None


def validate_model(model: type[ModelT], data: Any) -> ModelT:
    """Validate already-decoded data; raises ValidationFailedError naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        names = ", ".join(error["field"] for error in errors)
        raise ValidationFailedError(f"Invalid request: {names}", details=errors) from None


def parse_body(model: type[ModelT], raw: bytes | str | None) -> ModelT:
    """Decode and validate a request body into ``model``."""
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise ValidationFailedError(
            "Request body must be a JSON object",
            details=[{"field": "body", "message": "must be an object", "type": "object_type"}],
        )
    return validate_model(model, data)
