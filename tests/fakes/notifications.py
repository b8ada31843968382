"""In-memory twins of the notifications repository and directory (same contract as
``DynamoNotifications``: ``tests/integration/notifications/test_repository_contract.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.notifications.domain import DEFAULT_SHOP_CHANNELS, Notification, Preferences


class InMemoryNotifications:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Notification] = {}
        self.receipts: dict[tuple[str, str], int] = {}
        self.prefs: dict[str, Preferences] = {}

    def record(
        self, receiver_id: str, dedupe: str, notification: Notification | None, *, expires_at: int
    ) -> bool:
        if (receiver_id, dedupe) in self.receipts:
            return False
        self.receipts[(receiver_id, dedupe)] = expires_at
        if notification is not None:
            self.items[(receiver_id, notification.notification_id)] = notification
        return True

    def _mine(self, receiver_id: str) -> list[Notification]:
        mine = [n for (r, _), n in self.items.items() if r == receiver_id]
        return sorted(mine, key=lambda n: n.notification_id, reverse=True)

    def page(
        self, receiver_id: str, *, unread_only: bool, limit: int, cursor: str | None
    ) -> Page[Notification]:
        start = decode_cursor(cursor)
        partition = ("UNREAD#" if unread_only else "USER#") + receiver_id
        if start is not None and start.get("partition") != partition:
            raise BadRequestError("Pagination cursor belongs to another list")
        items = [n for n in self._mine(receiver_id) if not (unread_only and n.read)]
        if start is not None:
            items = [n for n in items if n.notification_id < start["after"]]
        page = items[:limit]
        more = len(page) == limit and len(items) > limit
        next_cursor = (
            encode_cursor({"partition": partition, "after": page[-1].notification_id})
            if more
            else None
        )
        return Page(items=page, next_cursor=next_cursor)

    def get(self, receiver_id: str, notification_id: str) -> Notification | None:
        return self.items.get((receiver_id, notification_id))

    def unread_count(self, receiver_id: str, *, cap: int) -> int:
        return min(cap, sum(not n.read for n in self._mine(receiver_id)))

    def unread(self, receiver_id: str, *, limit: int) -> list[Notification]:
        return [n for n in self._mine(receiver_id) if not n.read][:limit]

    def unread_in_thread(
        self, receiver_id: str, thread_id: str, *, limit: int
    ) -> list[Notification]:
        found = [n for n in self._mine(receiver_id) if not n.read and n.thread_id == thread_id]
        return list(reversed(found))[:limit]

    def mark_read(self, receiver_id: str, notification_id: str, *, at: datetime) -> bool:
        found = self.items.get((receiver_id, notification_id))
        if found is None or found.read:
            return False
        self.items[(receiver_id, notification_id)] = replace(
            found, read=True, read_at=at, digest_pending=False
        )
        return True

    def digest_due(self, before: datetime, *, limit: int) -> list[Notification]:
        due = [
            n
            for n in self.items.values()
            if n.digest_pending and not n.read and n.created_at < before
        ]
        return sorted(due, key=lambda n: (n.created_at, n.notification_id))[:limit]

    def take_for_digest(self, notification: Notification) -> bool:
        key = (notification.receiver_id, notification.notification_id)
        found = self.items.get(key)
        if found is None or not found.digest_pending:
            return False
        self.items[key] = replace(found, digest_pending=False)
        return True

    def return_to_digest(self, notification: Notification) -> None:
        key = (notification.receiver_id, notification.notification_id)
        found = self.items.get(key)
        if found is not None and not found.read:
            self.items[key] = replace(found, digest_pending=True)

    def preferences(self, receiver_id: str) -> Preferences:
        return self.prefs.get(receiver_id, Preferences())

    def save_preferences(self, receiver_id: str, preferences: Preferences) -> None:
        self.prefs[receiver_id] = preferences


@dataclass
class FakeDirectory:
    """Shops' staff and channels, admins and email addresses, set by the test."""

    staff: dict[str, list[str]] = field(default_factory=dict)
    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    admin_ids: list[str] = field(default_factory=list)
    emails: dict[str, str] = field(default_factory=dict)

    def staff_of(self, shop_id: str) -> list[str]:
        return list(self.staff.get(shop_id, []))

    def shop_channels(self, shop_id: str) -> tuple[str, ...]:
        return self.channels.get(shop_id, DEFAULT_SHOP_CHANNELS)

    def admins(self) -> list[str]:
        return list(self.admin_ids)

    def email_of(self, account_id: str) -> str | None:
        return self.emails.get(account_id)
