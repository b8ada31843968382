"""A receiver's notifications: list, count, mark read; preferences."""

from __future__ import annotations

import re
from collections.abc import Mapping

from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.errors import NotFoundError
from chalicelib.core.pagination import Page
from chalicelib.core.settings import get_settings
from chalicelib.notifications import repository
from chalicelib.notifications.domain import Category, Channel, Notification, Preferences

NOTIFICATION_ID = re.compile(r"[0-9]{16}[0-9a-f]{8}")
UNREAD_COUNT_CAP = 1000  # the badge says "999+" beyond; counting is bounded
THREAD_MARK_MAX = 500


def list_mine(
    caller: Caller, *, unread_only: bool, limit: int, cursor: str | None
) -> Page[Notification]:
    """The caller's notifications, newest first (only unread ones if asked)."""
    return repository.get().page(
        caller.account_id, unread_only=unread_only, limit=limit, cursor=cursor
    )


def unread_count(caller: Caller) -> tuple[int, bool]:
    """How many of the caller's notifications are unread, and whether the count is capped."""
    count = repository.get().unread_count(caller.account_id, cap=UNREAD_COUNT_CAP)
    return min(count, UNREAD_COUNT_CAP), count >= UNREAD_COUNT_CAP


def mark_read(caller: Caller, notification_id: str) -> Notification:
    """Mark one of the caller's notifications read (again is harmless); NotFoundError if
    it is not theirs."""
    repo = repository.get()
    found = None
    if NOTIFICATION_ID.fullmatch(notification_id):
        repo.mark_read(caller.account_id, notification_id, at=clock.now())
        found = repo.get(caller.account_id, notification_id)
    if found is None:
        raise NotFoundError("No such notification", details={"notification_id": notification_id})
    return found


def mark_all_read(caller: Caller) -> tuple[int, bool]:
    """Mark the caller's unread notifications read, at most ``mark_all_read_max`` in one
    call (newest first); how many were marked and whether unread ones remain."""
    repo = repository.get()
    limit = get_settings().mark_all_read_max
    now = clock.now()
    batch = repo.unread(caller.account_id, limit=limit)
    marked = sum(repo.mark_read(caller.account_id, n.notification_id, at=now) for n in batch)
    more = len(batch) == limit and repo.unread_count(caller.account_id, cap=1) > 0
    return marked, more


def mark_thread_read(reader_id: str, thread_id: str, up_to: str) -> int:
    """Mark the reader's unread chat notifications of one conversation read, those about
    messages up to ``up_to`` (message ids are time-ordered); how many."""
    repo = repository.get()
    now = clock.now()
    marked = 0
    for notification in repo.unread_in_thread(reader_id, thread_id, limit=THREAD_MARK_MAX):
        if notification.subject_id is not None and notification.subject_id <= up_to:
            marked += repo.mark_read(reader_id, notification.notification_id, at=now)
    return marked


def preferences(caller: Caller) -> Preferences:
    return repository.get().preferences(caller.account_id)


def update_preferences(
    caller: Caller, changes: Mapping[Category, Mapping[Channel, bool]]
) -> Preferences:
    """Apply ``changes`` (only the categories and channels given) to the caller's
    preferences; returns them all."""
    repo = repository.get()
    updated = repo.preferences(caller.account_id).merged(changes)
    repo.save_preferences(caller.account_id, updated)
    return updated
