"""Chat's domain values: a conversation between a shopper and a shop, and its messages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

PREVIEW_MAX = 140  # characters of a message kept as the conversation's preview


class Side(StrEnum):
    """Which side of a conversation an account speaks for."""

    SHOPPER = "shopper"
    SHOP = "shop"

    @property
    def other(self) -> Side:
        return Side.SHOP if self is Side.SHOPPER else Side.SHOPPER


class MessageKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"


class AppendOutcome(StrEnum):
    """What storing a message came to."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # the sender's client message id was stored before
    CONFLICT = "conflict"  # another message was stored meanwhile: read again and retry


def conversation_id_of(
    shopper_id: str, shop_id: str, product_id: str | None, order_id: str | None
) -> str:
    """One conversation per shopper, shop and subject (none, a product or an order): the
    id is derived from them, so creating it twice gets the same one."""
    basis = "|".join((shopper_id, shop_id, product_id or "", order_id or ""))
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def preview_of(text: str | None, kind: MessageKind) -> str:
    """What an inbox shows of a message (at most PREVIEW_MAX characters)."""
    if kind is MessageKind.IMAGE:
        return "[image]" if not text else ("[image] " + text)[:PREVIEW_MAX]
    flat = " ".join((text or "").split())
    return flat if len(flat) <= PREVIEW_MAX else flat[: PREVIEW_MAX - 1] + "…"


@dataclass(frozen=True)
class ChatImage:
    """The stored rendition of an image sent in a conversation."""

    key: str
    width: int
    height: int


@dataclass(frozen=True)
class Message:
    """One stored message. ``message_id`` is time-ordered (``<ISO time>#<random>``) and
    strictly increasing within a conversation in the order messages were stored;
    ``shopper_count``/``shop_count`` are how many messages each side had sent up to and
    including this one (read receipts turn them into unread counts)."""

    conversation_id: str
    message_id: str
    sender_id: str
    sender_side: Side
    kind: MessageKind
    sent_at: datetime
    text: str | None = None
    image: ChatImage | None = None
    client_message_id: str | None = None
    shopper_count: int = 0
    shop_count: int = 0

    @property
    def preview(self) -> str:
        return preview_of(self.text, self.kind)

    @property
    def sender_count(self) -> int:
        """The sender side's message count up to and including this one."""
        return self.shopper_count if self.sender_side is Side.SHOPPER else self.shop_count

    def count_of(self, side: Side) -> int:
        return self.shopper_count if side is Side.SHOPPER else self.shop_count


@dataclass(frozen=True)
class Conversation:
    """A conversation between shopper ``shopper_id`` and shop ``shop_id``, optionally about
    a product or an order, with its last message, per-side counts and read marks."""

    conversation_id: str
    shopper_id: str
    shop_id: str
    created_at: datetime
    last_activity_at: datetime
    product_id: str | None = None
    order_id: str | None = None
    last_message_id: str | None = None
    last_sender_id: str | None = None
    last_preview: str | None = None
    shopper_messages: int = 0
    shop_messages: int = 0
    shopper_read_count: int = 0
    shop_read_count: int = 0
    shopper_read_upto: str | None = None
    shop_read_upto: str | None = None
    blocked_by: str | None = None
    blocked_at: datetime | None = None
    reported_by: str | None = None
    reported_at: datetime | None = None
    report_reason: str | None = None

    @property
    def blocked(self) -> bool:
        return self.blocked_by is not None

    @property
    def reported(self) -> bool:
        return self.reported_at is not None

    def sent_by(self, side: Side) -> int:
        return self.shopper_messages if side is Side.SHOPPER else self.shop_messages

    def read_count(self, side: Side) -> int:
        return self.shopper_read_count if side is Side.SHOPPER else self.shop_read_count

    def read_upto(self, side: Side) -> str | None:
        return self.shopper_read_upto if side is Side.SHOPPER else self.shop_read_upto

    def read_to(self, side: Side, count: int, message_id: str) -> Conversation:
        """This conversation with ``side``'s read mark moved."""
        if side is Side.SHOPPER:
            return replace(self, shopper_read_count=count, shopper_read_upto=message_id)
        return replace(self, shop_read_count=count, shop_read_upto=message_id)

    def unread_for(self, side: Side) -> int:
        """Messages of the other side that ``side`` has not read yet."""
        return max(0, self.sent_by(side.other) - self.read_count(side))

    def next_message_time(self, now: datetime) -> datetime:
        """``now``, or just after the last message if a clock is behind: ids only grow."""
        if self.last_message_id is None:
            return now
        last = datetime.fromisoformat(self.last_message_id.split("#", 1)[0])
        return now if now > last else last + timedelta(microseconds=1)


@dataclass(frozen=True)
class Participant:
    """An account taking part in a conversation, and for which side."""

    account_id: str
    side: Side


@dataclass(frozen=True)
class ReadReceipt:
    """``reader_id`` (on ``side``) has seen the conversation up to ``up_to_message_id``."""

    conversation_id: str
    reader_id: str
    side: Side
    up_to_message_id: str
    read_at: datetime
    unread: int
    moved: bool  # False when the mark was already at or past that message
