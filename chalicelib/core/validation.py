"""Request-body validation at the edge: raw bytes → a pydantic model, or a 4xx error."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from chalicelib.core.errors import BadRequestError, ValidationFailedError
from chalicelib.core.settings import get_settings

ModelT = TypeVar("ModelT", bound=BaseModel)


def _country_code(value: str) -> str:
    value = value.upper()
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise ValueError("must be an ISO 3166-1 alpha-2 country code")
    return value


# Postal addresses (the address book, an order's shipping address): one rule for each field.
CountryCode = Annotated[
    str,
    AfterValidator(_country_code),
    Field(description="ISO 3166-1 alpha-2 code, e.g. DE"),
]
PhoneNumber = Annotated[str, Field(pattern=r"^\+?[0-9 ()\-]{6,20}$")]


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


# A JSON string literal (escapes included), and the characters that open or close a level.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\Z)', re.DOTALL)  # unterminated: to the end
_JSON_BRACKET = re.compile(r"[\[\]{}]")


class JsonTooDeepError(BadRequestError):
    """JSON nested deeper than ``max_json_depth``."""

    code = "JSON_TOO_DEEP"


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when ``text`` nests arrays/objects deeper than ``limit`` (brackets in strings
    do not count). Linear and without recursion, so it is safe on any input size."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def loads_bounded(raw: bytes | str, what: str = "Request body") -> Any:
    """``json.loads`` that refuses nesting deeper than the ``max_json_depth`` setting
    (a ``JsonTooDeepError``) before decoding; malformed JSON is a ``BadRequestError``."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"{what} is not valid JSON: {exc}") from None
    limit = get_settings().max_json_depth
    if json_depth_exceeds(text, limit):
        raise JsonTooDeepError(
            f"{what} nests arrays/objects deeper than {limit} levels",
            details={"max_depth": limit},
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadRequestError(f"{what} is not valid JSON: {exc}") from None


def parse_json(raw: bytes | str | None) -> Any:
    """Decode a JSON body; raises BadRequestError when it is empty, malformed or nested
    deeper than the ``max_json_depth`` setting."""
    if raw is None or raw in (b"", ""):
        raise BadRequestError("Request body is required and must be JSON")
    return loads_bounded(raw)


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
