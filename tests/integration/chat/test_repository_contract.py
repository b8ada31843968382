"""The chat repository's contract: the DynamoDB one and the in-memory fake agree.

Every test runs on ``InMemoryChatRepository`` (tests/fakes/chat.py) and on
``DynamoChatRepository`` against moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.chat.domain import AppendOutcome, Conversation, Message, MessageKind, Side
from chalicelib.core.dynamo import time_key
from chalicelib.core.errors import BadRequestError
from tests.fakes.chat import InMemoryChatRepository

T0 = datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemoryChatRepository()
        return
    request.getfixturevalue("aws_env")
    from chalicelib.chat.repository import DynamoChatRepository

    yield DynamoChatRepository()


def conversation(cid: str = "c1", shopper: str = "ann", shop: str = "shop-1") -> Conversation:
    return Conversation(
        conversation_id=cid,
        shopper_id=shopper,
        shop_id=shop,
        created_at=T0,
        last_activity_at=T0,
    )


def next_message(
    read: Conversation, sender: str, side: Side, seconds: int, client_id: str | None = None
) -> Message:
    at = T0 + timedelta(seconds=seconds)
    return Message(
        conversation_id=read.conversation_id,
        message_id=time_key(at, f"m{seconds:04d}"),
        sender_id=sender,
        sender_side=side,
        kind=MessageKind.TEXT,
        sent_at=at,
        text=f"message {seconds}",
        client_message_id=client_id,
        shopper_count=read.shopper_messages + (side is Side.SHOPPER),
        shop_count=read.shop_messages + (side is Side.SHOP),
    )


def say(repo: Any, cid: str, sender: str, side: Side, seconds: int) -> Message:
    read = repo.conversation(cid)
    outcome, stored = repo.append(read, next_message(read, sender, side, seconds))
    assert outcome is AppendOutcome.STORED
    return stored


def test_creating_twice_gets_the_first_conversation(repo: Any) -> None:
    # Given a conversation created once
    first, created = repo.create(conversation())
    # When the same id is created again
    again, created_again = repo.create(conversation(shopper="someone-else"))
    # Then the first one is kept and returned
    assert (created, created_again) == (True, False)
    assert again.shopper_id == "ann" == first.shopper_id
    assert repo.conversation("c1") == first
    assert repo.conversation("nope") is None


def test_messages_are_stored_in_order_and_counted_per_side(repo: Any) -> None:
    # Given a conversation and three messages, two from the shopper
    repo.create(conversation())
    one = say(repo, "c1", "ann", Side.SHOPPER, 1)
    say(repo, "c1", "seller", Side.SHOP, 2)
    three = say(repo, "c1", "ann", Side.SHOPPER, 3)
    # Then the header knows the last one and each side's count
    header = repo.conversation("c1")
    assert header.last_message_id == three.message_id
    assert header.last_preview == "message 3"
    assert (header.shopper_messages, header.shop_messages) == (2, 1)
    assert header.last_activity_at == three.sent_at
    # And history pages newest first, messages_after goes oldest first
    page = repo.history("c1", limit=2, cursor=None)
    assert [m.text for m in page.items] == ["message 3", "message 2"]
    rest = repo.history("c1", limit=2, cursor=page.next_cursor)
    assert [m.text for m in rest.items] == ["message 1"]
    assert rest.next_cursor is None
    assert [m.text for m in repo.messages_after("c1", one.message_id, limit=10)] == [
        "message 2",
        "message 3",
    ]
    assert [m.text for m in repo.messages_after("c1", None, limit=2)] == ["message 1", "message 2"]
    assert repo.message("c1", one.message_id) == one


def test_a_stale_header_is_a_conflict_and_nothing_is_stored(repo: Any) -> None:
    # Given a header read before another message was stored
    repo.create(conversation())
    stale = repo.conversation("c1")
    say(repo, "c1", "ann", Side.SHOPPER, 1)
    # When a message is appended against the stale read
    outcome, stored = repo.append(stale, next_message(stale, "seller", Side.SHOP, 2))
    # Then it is a conflict and only the first message exists
    assert (outcome, stored) == (AppendOutcome.CONFLICT, None)
    assert len(repo.messages_after("c1", None, limit=10)) == 1


def test_a_client_message_id_is_stored_once(repo: Any) -> None:
    # Given a message stored with a client id
    repo.create(conversation())
    read = repo.conversation("c1")
    outcome, first = repo.append(read, next_message(read, "ann", Side.SHOPPER, 1, "cm-1"))
    assert outcome is AppendOutcome.STORED
    # When the same sender resends it (a new server id, the header moved meanwhile)
    read = repo.conversation("c1")
    outcome, again = repo.append(read, next_message(read, "ann", Side.SHOPPER, 2, "cm-1"))
    # Then the first message comes back as a duplicate and nothing else is stored
    assert outcome is AppendOutcome.DUPLICATE
    assert again == first
    assert repo.claimed("c1", "ann", "cm-1") == first
    assert repo.claimed("c1", "seller", "cm-1") is None
    assert len(repo.messages_after("c1", None, limit=10)) == 1
    assert repo.conversation("c1").shopper_messages == 1


def test_unread_totals_follow_messages_and_read_marks(repo: Any) -> None:
    # Given two conversations of one shopper with the same shop, the shop wrote 3 messages
    repo.create(conversation("c1"))
    repo.create(conversation("c2"))
    say(repo, "c1", "seller", Side.SHOP, 1)
    second = say(repo, "c1", "seller", Side.SHOP, 2)
    say(repo, "c2", "seller", Side.SHOP, 3)
    say(repo, "c1", "ann", Side.SHOPPER, 4)
    assert repo.unread_total(Side.SHOPPER, "ann") == 3
    assert repo.unread_total(Side.SHOP, "shop-1") == 1
    assert repo.conversation("c1").unread_for(Side.SHOPPER) == 2
    # When the shopper reads c1 up to the shop's second message
    read = repo.conversation("c1")
    assert repo.mark_read(read, Side.SHOPPER, second.shop_count, second.message_id) is True
    # Then c1 has nothing unread for the shopper, the total only c2's
    after = repo.conversation("c1")
    assert after.unread_for(Side.SHOPPER) == 0
    assert after.shopper_read_upto == second.message_id
    assert repo.unread_total(Side.SHOPPER, "ann") == 1
    # And a mark moved against a stale read is refused
    assert repo.mark_read(read, Side.SHOPPER, 2, second.message_id) is False


def test_inboxes_list_newest_activity_first_with_cursor_pages(repo: Any) -> None:
    # Given three conversations of one shopper, active in the order c2, c3, c1
    for cid in ("c1", "c2", "c3"):
        repo.create(conversation(cid, shop=f"shop-{cid}"))
    say(repo, "c2", "ann", Side.SHOPPER, 1)
    say(repo, "c3", "ann", Side.SHOPPER, 2)
    say(repo, "c1", "ann", Side.SHOPPER, 3)
    # When the shopper's inbox is read two at a time
    first = repo.inbox(Side.SHOPPER, "ann", limit=2, cursor=None)
    second = repo.inbox(Side.SHOPPER, "ann", limit=2, cursor=first.next_cursor)
    # Then the newest activity comes first
    assert [c.conversation_id for c in first.items] == ["c1", "c3"]
    assert [c.conversation_id for c in second.items] == ["c2"]
    # And the shop's inbox has only its own conversation
    assert [
        c.conversation_id for c in repo.inbox(Side.SHOP, "shop-c3", limit=5, cursor=None).items
    ] == ["c3"]
    # And only conversations active after a time are found
    since = T0 + timedelta(seconds=1, microseconds=500)
    assert {c.conversation_id for c in repo.active_since(Side.SHOPPER, "ann", since, limit=10)} == {
        "c1",
        "c3",
    }
    # And a cursor of another list is refused
    with pytest.raises(BadRequestError):
        repo.inbox(Side.SHOPPER, "bob", limit=2, cursor=first.next_cursor)


def test_a_blocked_conversation_stores_no_message(repo: Any) -> None:
    # Given a conversation blocked by the seller
    repo.create(conversation())
    blocked = repo.set_blocked("c1", "seller", T0)
    assert blocked.blocked_by == "seller"
    # When a message is appended
    read = repo.conversation("c1")
    outcome, _ = repo.append(read, next_message(read, "ann", Side.SHOPPER, 1))
    # Then it is refused; a second block keeps the first blocker; unblocking clears it
    assert outcome is AppendOutcome.CONFLICT
    assert repo.set_blocked("c1", "ann", T0).blocked_by == "seller"
    assert repo.set_blocked("c1", None, T0).blocked is False
    assert repo.set_blocked("nope", "ann", T0) is None


def test_reported_conversations_are_listed_latest_report_first(repo: Any) -> None:
    # Given two conversations reported a minute apart and one not reported
    for cid in ("c1", "c2", "c3"):
        repo.create(conversation(cid))
    repo.report("c2", "ann", "spam", T0)
    reported = repo.report("c1", "seller", "rude", T0 + timedelta(minutes=1))
    # Then the admins' list has them, latest first, with who reported and why
    assert (reported.reported_by, reported.report_reason) == ("seller", "rude")
    page = repo.reported(limit=10, cursor=None)
    assert [c.conversation_id for c in page.items] == ["c1", "c2"]
    assert repo.report("nope", "ann", "x", T0) is None
