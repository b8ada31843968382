"""Opaque cursor pagination over DynamoDB ``LastEvaluatedKey`` values.

A cursor is URL-safe base64 of the key, signed with a checksum so a client cannot
hand-craft one that reads another partition by accident. Bad cursors → 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from chalicelib.core.errors import BadRequestError
from chalicelib.core.settings import get_settings

T = TypeVar("T")


def _checksum(payload: bytes) -> str:
    return hashlib.sha256(b"bazaar-cursor:" + payload).hexdigest()[:12]


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    """The client-facing cursor for a DynamoDB ``LastEvaluatedKey`` (None at the end)."""
    if not key:
        return None
    payload = json.dumps(key, sort_keys=True, separators=(",", ":")).encode()
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{token}.{_checksum(payload)}"


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The DynamoDB ``ExclusiveStartKey`` for a cursor; raises BadRequestError if invalid."""
    if not cursor:
        return None
    token, _, check = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key = json.loads(payload)
    except (ValueError, binascii.Error, RecursionError):  # RecursionError: nested too deep
        raise BadRequestError("Invalid pagination cursor") from None
    if _checksum(payload) != check or not isinstance(key, dict):
        raise BadRequestError("Invalid pagination cursor")
    return key


def page_limit(raw: str | None) -> int:
    """The page size asked for in a query string, defaulted and bounded by settings."""
    settings = get_settings()
    if raw in (None, ""):
        return settings.page_size_default
    assert raw is not None
    if not raw.isdigit() or not 1 <= int(raw) <= settings.page_size_max:
        raise BadRequestError(f"limit must be an integer between 1 and {settings.page_size_max}")
    return int(raw)


@dataclass
class Page(Generic[T]):
    """One page of results and the cursor for the next (None when this is the last)."""

    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None

    def to_dict(self, render: Any = None) -> dict[str, Any]:
        items = [render(item) for item in self.items] if render else list(self.items)
        return {"items": items, "next_cursor": self.next_cursor}
