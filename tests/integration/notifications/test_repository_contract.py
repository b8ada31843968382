"""The notifications repository's contract: the DynamoDB one and the in-memory fake agree.

Every test runs on ``InMemoryNotifications`` (tests/fakes/notifications.py) and on
``DynamoNotifications`` against moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import BadRequestError
from chalicelib.notifications.domain import Category, Channel, Draft, Notification, Preferences
from tests.fakes.notifications import InMemoryNotifications

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
EXPIRES = clock.epoch(T0 + timedelta(days=90))


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemoryNotifications()
        return
    request.getfixturevalue("aws_env")
    from chalicelib.notifications.repository import DynamoNotifications

    yield DynamoNotifications()


def made(receiver: str, n: int, *, thread: str | None = None, digest: bool = False) -> Notification:
    draft = Draft(
        receiver_id=receiver,
        category=Category.CHAT if thread else Category.ORDERS,
        kind="chat.message" if thread else "order.paid",
        title=f"t{n}",
        message=f"m{n}",
        dedupe=f"k{n}",
        subject_id=f"msg-{n:03d}",
        thread_id=thread,
    )
    return Notification.of(draft, at=T0 + timedelta(seconds=n), digest=digest)


def test_a_receipt_makes_each_notification_once_per_receiver(repo: Any) -> None:
    first = made("ann", 1)
    assert repo.record("ann", "order.paid:o1", first, expires_at=EXPIRES) is True
    assert repo.record("ann", "order.paid:o1", made("ann", 2), expires_at=EXPIRES) is False
    assert repo.record("bob", "order.paid:o1", made("bob", 3), expires_at=EXPIRES) is True
    assert repo.record("ann", "push-only", None, expires_at=EXPIRES) is True
    assert repo.record("ann", "push-only", None, expires_at=EXPIRES) is False
    assert [n.notification_id for n in repo.unread("ann", limit=10)] == [first.notification_id]
    assert repo.get("ann", first.notification_id) == first


def test_pages_newest_first_unread_only_and_cursors_stay_in_their_list(repo: Any) -> None:
    notes = [made("ann", n) for n in range(5)]
    for n, note in enumerate(notes):
        repo.record("ann", f"k{n}", note, expires_at=EXPIRES)
    repo.mark_read("ann", notes[3].notification_id, at=T0)
    first = repo.page("ann", unread_only=False, limit=2, cursor=None)
    second = repo.page("ann", unread_only=False, limit=2, cursor=first.next_cursor)
    third = repo.page("ann", unread_only=False, limit=2, cursor=second.next_cursor)
    listed = [n.title for n in first.items + second.items + third.items]
    assert listed == ["t4", "t3", "t2", "t1", "t0"]
    assert third.next_cursor is None
    unread = repo.page("ann", unread_only=True, limit=10, cursor=None)
    assert [n.title for n in unread.items] == ["t4", "t2", "t1", "t0"]
    with pytest.raises(BadRequestError):
        repo.page("ann", unread_only=True, limit=2, cursor=first.next_cursor)
    with pytest.raises(BadRequestError):
        repo.page("bob", unread_only=False, limit=2, cursor=first.next_cursor)
    assert repo.unread_count("ann", cap=1000) == 4
    assert repo.unread_count("ann", cap=2) == 2


def test_mark_read_once_and_it_leaves_the_unread_thread_and_digest_lists(repo: Any) -> None:
    note = made("ann", 1, thread="conv-1", digest=True)
    repo.record("ann", "k1", note, expires_at=EXPIRES)
    assert [n.title for n in repo.unread_in_thread("ann", "conv-1", limit=10)] == ["t1"]
    assert [n.title for n in repo.digest_due(T0 + timedelta(hours=1), limit=10)] == ["t1"]
    assert repo.mark_read("ann", note.notification_id, at=T0) is True
    assert repo.mark_read("ann", note.notification_id, at=T0) is False
    assert repo.mark_read("ann", "0000000000000000deadbeef", at=T0) is False
    stored = repo.get("ann", note.notification_id)
    assert (stored.read, stored.read_at, stored.digest_pending) == (True, T0, False)
    assert repo.unread_in_thread("ann", "conv-1", limit=10) == []
    assert repo.digest_due(T0 + timedelta(hours=1), limit=10) == []
    assert repo.unread_count("ann", cap=10) == 0


def test_the_digest_queue_by_time_taken_once_and_returned(repo: Any) -> None:
    early, late = made("ann", 1, thread="c", digest=True), made("bob", 600, thread="c", digest=True)
    plain = made("cyd", 2, thread="c")
    for note in (early, late, plain):
        repo.record(note.receiver_id, note.title, note, expires_at=EXPIRES)
    assert [n.title for n in repo.digest_due(T0 + timedelta(seconds=60), limit=10)] == ["t1"]
    due = repo.digest_due(T0 + timedelta(hours=1), limit=10)
    assert [n.title for n in due] == ["t1", "t600"]
    assert repo.take_for_digest(due[0]) is True
    assert repo.take_for_digest(due[0]) is False
    assert [n.title for n in repo.digest_due(T0 + timedelta(hours=1), limit=10)] == ["t600"]
    repo.return_to_digest(due[0])
    assert len(repo.digest_due(T0 + timedelta(hours=1), limit=10)) == 2


def test_preferences_round_trip(repo: Any) -> None:
    assert repo.preferences("ann") == Preferences()
    chosen = Preferences().merged({Category.CHAT: {Channel.EMAIL: False}})
    repo.save_preferences("ann", chosen)
    assert repo.preferences("ann") == chosen
    assert repo.preferences("ann").allows(Category.CHAT, Channel.EMAIL) is False
