"""Notifications' domain values: a notification, what a rule drafts, and preferences."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chalicelib.core import clock

TITLE_MAX = 120
MESSAGE_MAX = 500
LINK_MAX = 500


class Category(StrEnum):
    """What a notification is about; preferences are per category."""

    ORDERS = "orders"
    CHAT = "chat"
    REVIEWS = "reviews"
    BILLS = "bills"
    ACCOUNT = "account"
    ALERTS = "alerts"


class Channel(StrEnum):
    """How a notification reaches its receiver."""

    IN_APP = "in_app"  # stored and listed (GET /notifications)
    WEBSOCKET = "websocket"  # pushed to every open connection
    EMAIL = "email"  # sent through SES (chat: in the digest)


# A shop's ``settings["channels"]`` (catalog) names channels its own way.
SHOP_CHANNELS: Mapping[Channel, str] = {
    Channel.IN_APP: "app",
    Channel.WEBSOCKET: "websocket",
    Channel.EMAIL: "email",
}
DEFAULT_SHOP_CHANNELS = ("app", "websocket")


def new_notification_id(at: datetime) -> str:
    """A time-ordered id: 16 digits of microseconds since the epoch + 8 random hex."""
    micros = int(at.timestamp() * 1_000_000)
    return f"{micros:016d}{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Draft:
    """What an event rule asks for: one notification to one receiver.

    ``dedupe`` is the natural key that makes it once per receiver (a redelivered or
    re-published event finds it taken). ``emailable`` says whether this notification may
    be emailed at all (order receipts are the orders' emails, so most order drafts are
    not). ``shop_id`` is set when the receiver gets it as staff of that shop: the shop's
    channel settings then apply too. ``digest``: emailed later in the chat digest, not now.
    """

    receiver_id: str
    category: Category
    kind: str
    title: str
    message: str
    dedupe: str
    link: str | None = None
    creator: str = "bazaar"
    subject_id: str | None = None  # the order, product, conversation... it is about
    thread_id: str | None = None  # chat: the conversation (read receipts mark by it)
    shop_id: str | None = None
    emailable: bool = False
    digest: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", self.title[:TITLE_MAX])
        object.__setattr__(self, "message", self.message[:MESSAGE_MAX])
        if self.link is not None:
            object.__setattr__(self, "link", self.link[:LINK_MAX])


@dataclass(frozen=True)
class Notification:
    """One notification as stored and listed."""

    notification_id: str
    receiver_id: str
    creator: str
    category: Category
    kind: str
    title: str
    message: str
    created_at: datetime
    link: str | None = None
    read: bool = False
    read_at: datetime | None = None
    subject_id: str | None = None
    thread_id: str | None = None
    # A chat notification waiting for the email digest (cleared once read or emailed).
    digest_pending: bool = False

    @classmethod
    def of(cls, draft: Draft, *, at: datetime, digest: bool) -> Notification:
        return cls(
            notification_id=new_notification_id(at),
            receiver_id=draft.receiver_id,
            creator=draft.creator,
            category=draft.category,
            kind=draft.kind,
            title=draft.title,
            message=draft.message,
            created_at=at,
            link=draft.link,
            subject_id=draft.subject_id,
            thread_id=draft.thread_id,
            digest_pending=digest,
        )

    def frame(self) -> dict[str, object]:
        """The WebSocket frame that pushes it (``docs/realtime.md``)."""
        return {
            "type": "notification",
            "notification": {
                "id": self.notification_id,
                "category": str(self.category),
                "kind": self.kind,
                "title": self.title,
                "message": self.message,
                "link": self.link,
                "creator": self.creator,
                "subject_id": self.subject_id,
                "read": self.read,
                "created_at": clock.iso(self.created_at),
            },
        }


# Sensible defaults: everything in the app and pushed live; email for what is worth an
# email (a rule still decides whether its notification may be emailed at all).
DEFAULT_PREFERENCES: Mapping[Category, Mapping[Channel, bool]] = {
    Category.ORDERS: {Channel.IN_APP: True, Channel.WEBSOCKET: True, Channel.EMAIL: True},
    Category.CHAT: {Channel.IN_APP: True, Channel.WEBSOCKET: True, Channel.EMAIL: True},
    Category.REVIEWS: {Channel.IN_APP: True, Channel.WEBSOCKET: True, Channel.EMAIL: False},
    Category.BILLS: {Channel.IN_APP: True, Channel.WEBSOCKET: True, Channel.EMAIL: True},
    Category.ACCOUNT: {Channel.IN_APP: True, Channel.WEBSOCKET: True, Channel.EMAIL: True},
    Category.ALERTS: {Channel.IN_APP: True, Channel.WEBSOCKET: True, Channel.EMAIL: False},
}


@dataclass(frozen=True)
class Preferences:
    """A receiver's choices: category x channel → on/off (defaults where not chosen)."""

    choices: Mapping[Category, Mapping[Channel, bool]] = field(default_factory=dict)

    def allows(self, category: Category, channel: Channel) -> bool:
        chosen = self.choices.get(category, {})
        if channel in chosen:
            return chosen[channel]
        return DEFAULT_PREFERENCES[category][channel]

    def merged(self, changes: Mapping[Category, Mapping[Channel, bool]]) -> Preferences:
        """These preferences with ``changes`` applied on top."""
        out = {category: dict(channels) for category, channels in self.choices.items()}
        for category, channels in changes.items():
            out.setdefault(category, {}).update(channels)
        return Preferences(choices=out)

    def full(self) -> dict[Category, dict[Channel, bool]]:
        """Every category and channel, chosen or default."""
        return {
            category: {channel: self.allows(category, channel) for channel in Channel}
            for category in Category
        }


@dataclass(frozen=True)
class Delivery:
    """Which channels a draft goes out on, for one receiver."""

    in_app: bool
    websocket: bool
    email: bool

    @classmethod
    def decide(
        cls, draft: Draft, preferences: Preferences, shop_channels: tuple[str, ...] | None
    ) -> Delivery:
        """The receiver's preferences, the rule's ``emailable``, and for shop notifications
        the shop's channel settings, all together."""

        def on(channel: Channel) -> bool:
            if not preferences.allows(draft.category, channel):
                return False
            return shop_channels is None or SHOP_CHANNELS[channel] in shop_channels

        return cls(
            in_app=on(Channel.IN_APP),
            websocket=on(Channel.WEBSOCKET),
            email=draft.emailable and on(Channel.EMAIL),
        )

    @property
    def any(self) -> bool:
        return self.in_app or self.websocket or self.email
