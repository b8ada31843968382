"""Chat's request and response models (REST), and the frames of its WebSocket actions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from chalicelib.catalog import service as catalog
from chalicelib.chat.domain import Conversation, Message, Side
from chalicelib.core.settings import get_settings
from chalicelib.core.validation import RequestModel, ResponseModel

ID_PATTERN = r"^[A-Za-z0-9_-]+$"


# ---------- REST requests ----------
class StartConversation(RequestModel):
    """A shopper names the shop (optionally a product of it, or an order from it); a
    seller names one of their shop's orders (the conversation is with its shopper)."""

    shop_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=ID_PATTERN)
    product_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=ID_PATTERN)
    order_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=ID_PATTERN)

    @model_validator(mode="after")
    def _one_subject(self) -> StartConversation:
        if self.product_id and self.order_id:
            raise ValueError("a conversation is about a product or an order, not both")
        return self


class ReportRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=500)


class ImageUploadRequest(RequestModel):
    """The image a participant is about to upload for a message."""

    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/gif"]
    size: int = Field(strict=True, ge=1)


# ---------- WebSocket actions ----------
class SendAction(RequestModel):
    """``chat.send``: text, or an uploaded image (with optional text as its caption)."""

    conversation_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    client_message_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    text: str | None = Field(default=None, max_length=10_000)
    image_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[a-f0-9]+$")


class TypingAction(RequestModel):
    conversation_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    typing: bool = True


class ReadAction(RequestModel):
    conversation_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    up_to_message_id: str = Field(min_length=1, max_length=100)


class ResumeAction(RequestModel):
    """``cursors``: conversation id → the last message id seen there (null: none seen);
    ``since``: the last message id seen anywhere, for conversations not in ``cursors``."""

    cursors: dict[str, str | None] = Field(default_factory=dict, max_length=100)
    since: str | None = Field(default=None, min_length=1, max_length=100)


# ---------- responses and frames ----------
class ImageView(ResponseModel):
    url: str | None
    width: int
    height: int


class MessageView(ResponseModel):
    message_id: str
    conversation_id: str
    sender_id: str
    sender_side: str
    kind: str
    text: str | None = None
    image: ImageView | None = None
    sent_at: datetime
    client_message_id: str | None = None

    @classmethod
    def of(cls, message: Message) -> MessageView:
        image = None
        if message.image is not None:
            image = ImageView(
                url=catalog.media_url(message.image.key),
                width=message.image.width,
                height=message.image.height,
            )
        return cls(
            message_id=message.message_id,
            conversation_id=message.conversation_id,
            sender_id=message.sender_id,
            sender_side=message.sender_side.value,
            kind=message.kind.value,
            text=message.text,
            image=image,
            sent_at=message.sent_at,
            client_message_id=message.client_message_id,
        )


class MessagePage(ResponseModel):
    """Newest first."""

    items: list[MessageView]
    next_cursor: str | None = None


class LastMessageView(ResponseModel):
    message_id: str
    sender_id: str | None = None
    preview: str | None = None


class PresenceView(ResponseModel):
    account_id: str
    side: str
    online: bool
    last_seen: datetime | None = None


class ConversationView(ResponseModel):
    """``unread``: messages of the other side the caller's side has not read;
    ``participants`` (with presence) on the single conversation only."""

    conversation_id: str
    shopper_id: str
    shop_id: str
    product_id: str | None = None
    order_id: str | None = None
    created_at: datetime
    last_activity_at: datetime
    last_message: LastMessageView | None = None
    your_side: str | None = None
    unread: int = 0
    read_up_to: str | None = None
    other_read_up_to: str | None = None
    blocked: bool = False
    blocked_by_you: bool = False
    reported: bool = False
    report_reason: str | None = None
    participants: list[PresenceView] | None = None

    @classmethod
    def of(
        cls,
        conversation: Conversation,
        side: Side | None,
        *,
        viewer_id: str,
        participants: list[PresenceView] | None = None,
        admin: bool = False,
    ) -> ConversationView:
        last = None
        if conversation.last_message_id:
            last = LastMessageView(
                message_id=conversation.last_message_id,
                sender_id=conversation.last_sender_id,
                preview=conversation.last_preview,
            )
        return cls(
            conversation_id=conversation.conversation_id,
            shopper_id=conversation.shopper_id,
            shop_id=conversation.shop_id,
            product_id=conversation.product_id,
            order_id=conversation.order_id,
            created_at=conversation.created_at,
            last_activity_at=conversation.last_activity_at,
            last_message=last,
            your_side=side.value if side else None,
            unread=conversation.unread_for(side) if side else 0,
            read_up_to=conversation.read_upto(side) if side else None,
            other_read_up_to=conversation.read_upto(side.other) if side else None,
            blocked=conversation.blocked,
            blocked_by_you=conversation.blocked_by == viewer_id,
            reported=conversation.reported,
            report_reason=conversation.report_reason if admin else None,
            participants=participants,
        )


class InboxView(ResponseModel):
    """Newest activity first; ``unread_total`` over every conversation of the inbox."""

    side: str
    items: list[ConversationView]
    next_cursor: str | None = None
    unread_total: int


class ConversationPage(ResponseModel):
    items: list[ConversationView]
    next_cursor: str | None = None


class UploadGrantView(ResponseModel):
    """POST the file to ``url`` as multipart/form-data with ``fields`` plus ``file``, then
    send ``{"action": "chat.send", "image_id": ...}``."""

    image_id: str
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


def text_limit() -> int:
    return get_settings().chat_text_max_chars
