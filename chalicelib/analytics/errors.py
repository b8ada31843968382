"""Errors of the analytics capability."""

from __future__ import annotations

from chalicelib.core.errors import ValidationFailedError


class EventBatchRejectedError(ValidationFailedError):
    """A batch of client events broke a rule (time out of tolerance, ...): nothing of it
    was accepted. ``details`` names each event and the rule."""

    code = "EVENT_BATCH_REJECTED"
