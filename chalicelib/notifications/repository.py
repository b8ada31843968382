"""The notifications table in domain terms: the only module that knows its keys and indexes.

``NotificationsRepository`` is the port; ``DynamoNotifications`` the DynamoDB implementation.
Services call ``get()``; tests swap in the in-memory fake (``tests/fakes/notifications.py``)
with ``use(fake)``; both pass ``tests/integration/notifications/test_repository_contract.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock, dynamo
from chalicelib.core.dynamo import TransactionCancelledError, condition_failed
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.notifications import models as m
from chalicelib.notifications.domain import Category, Channel, Notification, Preferences


class NotificationsRepository(Protocol):
    """Notifications, the receipts that make them once, and preferences."""

    def record(
        self, receiver_id: str, dedupe: str, notification: Notification | None, *, expires_at: int
    ) -> bool:
        """In one transaction: the receipt for ``dedupe`` (once per receiver) and, when
        given, the notification. False (nothing written) if the receipt already exists."""
        ...

    def page(
        self, receiver_id: str, *, unread_only: bool, limit: int, cursor: str | None
    ) -> Page[Notification]:
        """The receiver's notifications, newest first (only unread ones if asked);
        BadRequestError for a cursor of another list."""
        ...

    def get(self, receiver_id: str, notification_id: str) -> Notification | None: ...

    def unread_count(self, receiver_id: str, *, cap: int) -> int:
        """How many are unread, counted up to ``cap``."""
        ...

    def unread(self, receiver_id: str, *, limit: int) -> list[Notification]:
        """Up to ``limit`` unread notifications, newest first."""
        ...

    def unread_in_thread(
        self, receiver_id: str, thread_id: str, *, limit: int
    ) -> list[Notification]:
        """Up to ``limit`` unread chat notifications of one conversation, oldest first."""
        ...

    def mark_read(self, receiver_id: str, notification_id: str, *, at: datetime) -> bool:
        """Mark read (it leaves the unread, thread and digest indexes); False if there is
        no such notification or it was already read."""
        ...

    def digest_due(self, before: datetime, *, limit: int) -> list[Notification]:
        """Chat notifications waiting for the digest, made before ``before``, oldest first
        (at most ``limit``)."""
        ...

    def take_for_digest(self, notification: Notification) -> bool:
        """Take it out of the digest queue; False if it was no longer waiting (read, or
        taken by another run): then it must not be emailed."""
        ...

    def return_to_digest(self, notification: Notification) -> None:
        """Put a taken notification back (its email could not be sent)."""
        ...

    def preferences(self, receiver_id: str) -> Preferences: ...

    def save_preferences(self, receiver_id: str, preferences: Preferences) -> None: ...


def _digest_sk(notification: Notification) -> str:
    created = clock.iso(notification.created_at)
    return f"{created}#{notification.receiver_id}#{notification.notification_id}"


def _item(notification: Notification, expires_at: int) -> m.NotificationItem:
    n = notification
    item = m.NotificationItem(
        pk=m.user_pk(n.receiver_id),
        sk=m.notification_sk(n.notification_id),
        notification_id=n.notification_id,
        receiver_id=n.receiver_id,
        creator=n.creator,
        category=str(n.category),
        kind=n.kind,
        title=n.title,
        message=n.message,
        link=n.link,
        subject_id=n.subject_id,
        thread_id=n.thread_id,
        read=n.read,
        read_at=n.read_at,
        created_at=n.created_at,
        expires_at=datetime.fromtimestamp(expires_at, tz=UTC),
    )
    if not n.read:
        item.gsi1pk, item.gsi1sk = m.unread_pk(n.receiver_id), n.notification_id
        if n.thread_id:
            item.gsi3pk = m.thread_pk(n.receiver_id, n.thread_id)
            item.gsi3sk = n.notification_id
        if n.digest_pending:
            item.gsi2pk, item.gsi2sk = m.digest_shard(n.receiver_id), _digest_sk(n)
    return item


def _notification(item: m.NotificationItem) -> Notification:
    return Notification(
        notification_id=item.notification_id,
        receiver_id=item.receiver_id,
        creator=item.creator,
        category=Category(item.category),
        kind=item.kind,
        title=item.title,
        message=item.message,
        created_at=item.created_at,
        link=item.link,
        read=bool(item.read),
        read_at=item.read_at,
        subject_id=item.subject_id,
        thread_id=item.thread_id,
        digest_pending=item.gsi2pk is not None,
    )


def _start(cursor: str | None, key: str, partition: str) -> dict[str, Any] | None:
    start = decode_cursor(cursor)
    if start is not None and start.get(key, {}).get("S") != partition:
        raise BadRequestError("Pagination cursor belongs to another list")
    return start


class DynamoNotifications:
    """The notifications table (one table, three sparse indexes; nothing Scans)."""

    def record(
        self, receiver_id: str, dedupe: str, notification: Notification | None, *, expires_at: int
    ) -> bool:
        receipt = m.Receipt(
            pk=m.user_pk(receiver_id),
            sk=f"{m.RECEIPT_PREFIX}{dedupe}",
            notification_id=notification.notification_id if notification else None,
            expires_at=expires_at,
        )
        try:
            with dynamo.transaction() as writer:
                writer.save(receipt, condition=m.Receipt.pk.does_not_exist())
                if notification is not None:
                    writer.save(_item(notification, expires_at))
        except TransactionCancelledError as cancelled:
            if cancelled.conflicted:
                raise  # another writer at the same moment: the redelivery decides
            return False  # only the receipt has a condition: it exists
        return True

    def page(
        self, receiver_id: str, *, unread_only: bool, limit: int, cursor: str | None
    ) -> Page[Notification]:
        if unread_only:
            partition = m.unread_pk(receiver_id)
            results = m.NotificationItem.unread.query(
                partition,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=_start(cursor, "gsi1pk", partition),
            )
        else:
            partition = m.user_pk(receiver_id)
            results = m.NotificationItem.query(
                partition,
                m.NotificationItem.sk.startswith(m.NOTIFICATION_PREFIX),
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=_start(cursor, "pk", partition),
            )
        items = [_notification(item) for item in results]
        more = results.last_evaluated_key if len(items) == limit else None
        return Page(items=items, next_cursor=encode_cursor(more))

    def get(self, receiver_id: str, notification_id: str) -> Notification | None:
        try:
            item = m.NotificationItem.get(
                m.user_pk(receiver_id), m.notification_sk(notification_id), consistent_read=True
            )
        except m.NotificationItem.DoesNotExist:
            return None
        return _notification(item)

    def unread_count(self, receiver_id: str, *, cap: int) -> int:
        # A Query that stops at ``cap`` items (pynamodb's count() reads every page).
        results = m.NotificationItem.unread.query(
            m.unread_pk(receiver_id), limit=cap, attributes_to_get=["gsi1sk"]
        )
        return sum(1 for _ in results)

    def unread(self, receiver_id: str, *, limit: int) -> list[Notification]:
        results = m.NotificationItem.unread.query(
            m.unread_pk(receiver_id), scan_index_forward=False, limit=limit
        )
        return [_notification(item) for item in results]

    def unread_in_thread(
        self, receiver_id: str, thread_id: str, *, limit: int
    ) -> list[Notification]:
        results = m.NotificationItem.thread_unread.query(
            m.thread_pk(receiver_id, thread_id), limit=limit
        )
        return [_notification(item) for item in results]

    def mark_read(self, receiver_id: str, notification_id: str, *, at: datetime) -> bool:
        item = m.NotificationItem(pk=m.user_pk(receiver_id), sk=m.notification_sk(notification_id))
        model = m.NotificationItem
        try:
            item.update(
                actions=[
                    model.read.set(True),
                    model.read_at.set(at),
                    model.gsi1pk.remove(),
                    model.gsi1sk.remove(),
                    model.gsi2pk.remove(),
                    model.gsi2sk.remove(),
                    model.gsi3pk.remove(),
                    model.gsi3sk.remove(),
                ],
                condition=model.pk.exists() & (model.read == False),  # noqa: E712
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def digest_due(self, before: datetime, *, limit: int) -> list[Notification]:
        due: list[Notification] = []
        for shard in m.digest_shards():
            for item in m.NotificationItem.digest_due.query(
                shard, m.NotificationItem.gsi2sk < clock.iso(before), limit=limit
            ):
                due.append(_notification(item))
        due.sort(key=lambda n: (n.created_at, n.notification_id))
        return due[:limit]

    def take_for_digest(self, notification: Notification) -> bool:
        item = m.NotificationItem(
            pk=m.user_pk(notification.receiver_id),
            sk=m.notification_sk(notification.notification_id),
        )
        model = m.NotificationItem
        try:
            item.update(
                actions=[model.gsi2pk.remove(), model.gsi2sk.remove()],
                condition=model.gsi2pk.exists(),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def return_to_digest(self, notification: Notification) -> None:
        item = m.NotificationItem(
            pk=m.user_pk(notification.receiver_id),
            sk=m.notification_sk(notification.notification_id),
        )
        model = m.NotificationItem
        try:
            item.update(
                actions=[
                    model.gsi2pk.set(m.digest_shard(notification.receiver_id)),
                    model.gsi2sk.set(_digest_sk(notification)),
                ],
                condition=model.pk.exists() & (model.read == False),  # noqa: E712
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise

    def preferences(self, receiver_id: str) -> Preferences:
        try:
            item = m.PreferencesItem.get(m.user_pk(receiver_id), m.PREFS_SK, consistent_read=True)
        except m.PreferencesItem.DoesNotExist:
            return Preferences()
        raw: dict[str, dict[str, bool]] = json.loads(item.choices)
        choices = {
            Category(category): {Channel(channel): bool(on) for channel, on in channels.items()}
            for category, channels in raw.items()
            if category in Category.__members__.values()
        }
        return Preferences(choices=choices)

    def save_preferences(self, receiver_id: str, preferences: Preferences) -> None:
        choices = {
            str(category): {str(channel): on for channel, on in channels.items()}
            for category, channels in preferences.choices.items()
        }
        m.PreferencesItem(
            pk=m.user_pk(receiver_id),
            sk=m.PREFS_SK,
            choices=json.dumps(choices, sort_keys=True),
            updated_at=clock.now(),
        ).save()


_repository: NotificationsRepository | None = None


def get() -> NotificationsRepository:
    """The repository in use: the DynamoDB one unless a test swapped in another."""
    global _repository
    if _repository is None:
        _repository = DynamoNotifications()
    return _repository


def use(repository: NotificationsRepository | None) -> None:
    """Use ``repository`` from now on (None: back to the DynamoDB one)."""
    global _repository
    _repository = repository
