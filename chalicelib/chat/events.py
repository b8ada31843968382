"""Events of the chat capability (source ``bazaar.chat``).

Notifications consume ``chat.message.sent`` (a notification and the digest email for
recipients who are offline); both feed analytics.
"""

from __future__ import annotations

from pydantic import Field

from chalicelib.chat.domain import PREVIEW_MAX, Conversation, Message, ReadReceipt
from chalicelib.core import clock
from chalicelib.core.events import DomainEvent


class ChatMessageSent(DomainEvent):
    """A message was stored in a conversation (before it was delivered)."""

    name = "chat.message.sent"
    source = "bazaar.chat"

    conversation_id: str
    message_id: str
    shop_id: str
    shopper_id: str
    sender_id: str
    # The other participants' account ids (the shopper, or the shop's staff).
    recipient_ids: list[str]
    kind: str = Field(pattern=r"^(text|image)$")
    preview: str = Field(max_length=PREVIEW_MAX)
    sent_at: str

    @classmethod
    def of(
        cls, conversation: Conversation, message: Message, recipient_ids: list[str]
    ) -> ChatMessageSent:
        return cls(
            conversation_id=conversation.conversation_id,
            message_id=message.message_id,
            shop_id=conversation.shop_id,
            shopper_id=conversation.shopper_id,
            sender_id=message.sender_id,
            recipient_ids=recipient_ids,
            kind=message.kind.value,
            preview=message.preview,
            sent_at=clock.iso(message.sent_at),
        )


class ChatRead(DomainEvent):
    """A participant has seen a conversation up to a message."""

    name = "chat.read"
    source = "bazaar.chat"

    conversation_id: str
    reader_id: str
    up_to_message_id: str
    read_at: str

    @classmethod
    def of(cls, receipt: ReadReceipt) -> ChatRead:
        return cls(
            conversation_id=receipt.conversation_id,
            reader_id=receipt.reader_id,
            up_to_message_id=receipt.up_to_message_id,
            read_at=clock.iso(receipt.read_at),
        )
