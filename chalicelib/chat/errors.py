"""Errors of the chat capability."""

from __future__ import annotations

from chalicelib.core.errors import ConflictError, NotFoundError, ValidationFailedError


class ConversationNotFoundError(NotFoundError):
    """No such conversation, or one the caller does not take part in (the same 404)."""

    code = "NOT_FOUND"

    def __init__(self, conversation_id: str) -> None:
        super().__init__("No such conversation", details={"conversation_id": conversation_id})


class ConversationBlockedError(ConflictError):
    """A participant blocked the conversation: no message goes either way."""

    code = "CONVERSATION_BLOCKED"


class ImageRefusedError(ValidationFailedError):
    """The image of a message was refused; the message says why."""

    code = "IMAGE_REJECTED"
