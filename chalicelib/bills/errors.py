"""The bills capability's domain errors (HTTP statuses come from core.errors' bases)."""

from __future__ import annotations

from chalicelib.core.errors import ConflictError


class PostNotDecidableError(ConflictError):
    """The post is not waiting for a decision (or moved while it was being decided)."""

    code = "POST_NOT_DECIDABLE"
