"""Request and response bodies of the notification routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.core.pagination import Page
from chalicelib.core.validation import RequestModel, ResponseModel
from chalicelib.notifications.domain import Category, Channel, Notification, Preferences


class NotificationView(ResponseModel):
    """One notification. ``creator`` is the service (``bazaar.orders``) or the account (a
    chat message's sender) it comes from; ``link`` a path in the app."""

    id: str
    category: Category
    kind: str
    title: str
    message: str
    link: str | None = None
    creator: str
    subject_id: str | None = None
    read: bool
    read_at: datetime | None = None
    created_at: datetime

    @classmethod
    def of(cls, notification: Notification) -> NotificationView:
        return cls(
            id=notification.notification_id,
            category=notification.category,
            kind=notification.kind,
            title=notification.title,
            message=notification.message,
            link=notification.link,
            creator=notification.creator,
            subject_id=notification.subject_id,
            read=notification.read,
            read_at=notification.read_at,
            created_at=notification.created_at,
        )


class NotificationPage(ResponseModel):
    items: list[NotificationView]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: Page[Notification]) -> NotificationPage:
        return cls(items=[NotificationView.of(n) for n in page.items], next_cursor=page.next_cursor)


class UnreadCount(ResponseModel):
    """``capped``: there are at least ``unread`` (the count stops there)."""

    unread: int
    capped: bool


class MarkedRead(ResponseModel):
    """``more``: unread notifications remain (call again)."""

    marked: int
    more: bool


class ChannelChoices(RequestModel):
    in_app: bool | None = Field(default=None, description="Stored and listed in the app")
    websocket: bool | None = Field(default=None, description="Pushed live over the WebSocket")
    email: bool | None = Field(default=None, description="Emailed (chat: in the digest)")

    def chosen(self) -> dict[Channel, bool]:
        return {
            Channel(name): value for name, value in self.model_dump().items() if value is not None
        }


class PreferencesUpdate(RequestModel):
    """Only the categories and channels given change; the rest stay as they are."""

    orders: ChannelChoices | None = None
    chat: ChannelChoices | None = None
    reviews: ChannelChoices | None = None
    bills: ChannelChoices | None = None
    account: ChannelChoices | None = None
    alerts: ChannelChoices | None = None

    def changes(self) -> dict[Category, dict[Channel, bool]]:
        out: dict[Category, dict[Channel, bool]] = {}
        for category in Category:
            choices = getattr(self, category.value)
            if choices is not None:
                out[category] = choices.chosen()
        return out


class ChannelsView(ResponseModel):
    in_app: bool
    websocket: bool
    email: bool


class PreferencesView(ResponseModel):
    """Every category x channel, as chosen or by default. For notifications you get as a
    shop's staff, the shop's channel settings apply as well."""

    orders: ChannelsView
    chat: ChannelsView
    reviews: ChannelsView
    bills: ChannelsView
    account: ChannelsView
    alerts: ChannelsView

    @classmethod
    def of(cls, preferences: Preferences) -> PreferencesView:
        full = preferences.full()
        return cls.model_validate(
            {
                str(category): {str(channel): on for channel, on in channels.items()}
                for category, channels in full.items()
            }
        )
