"""The chat repository in memory: the same contract as the DynamoDB one, no AWS.

``tests/integration/chat/test_repository_contract.py`` runs the same assertions on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from chalicelib.chat import repository
from chalicelib.chat.domain import AppendOutcome, Conversation, Message, Side
from chalicelib.core.dynamo import time_key
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor


def _activity(conversation: Conversation) -> str:
    return time_key(conversation.last_activity_at, conversation.conversation_id)


class InMemoryChatRepository:
    """Every method of ``chalicelib.chat.repository.ChatRepository``, in dicts."""

    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[str, dict[str, Message]] = {}
        self.claims: dict[tuple[str, str, str], str] = {}
        self.totals: dict[tuple[Side, str], int] = {}
        self.report_keys: dict[str, str] = {}

    def create(self, conversation: Conversation) -> tuple[Conversation, bool]:
        existing = self.conversations.get(conversation.conversation_id)
        if existing is not None:
            return existing, False
        self.conversations[conversation.conversation_id] = conversation
        return conversation, True

    def conversation(self, conversation_id: str) -> Conversation | None:
        return self.conversations.get(conversation_id)

    def append(self, read: Conversation, message: Message) -> tuple[AppendOutcome, Message | None]:
        current = self.conversations.get(read.conversation_id)
        claim = None
        if message.client_message_id:
            claim = (read.conversation_id, message.sender_id, message.client_message_id)
            if claim in self.claims:
                return AppendOutcome.DUPLICATE, self.message(
                    read.conversation_id, self.claims[claim]
                )
        if (
            current is None
            or current.last_message_id != read.last_message_id
            or current.blocked
            or message.message_id in self.messages.get(read.conversation_id, {})
        ):
            return AppendOutcome.CONFLICT, None
        self.messages.setdefault(read.conversation_id, {})[message.message_id] = message
        if claim is not None:
            self.claims[claim] = message.message_id
        counts = (
            {"shopper_messages": message.shopper_count}
            if message.sender_side is Side.SHOPPER
            else {"shop_messages": message.shop_count}
        )
        self.conversations[read.conversation_id] = replace(
            current,
            last_message_id=message.message_id,
            last_sender_id=message.sender_id,
            last_preview=message.preview,
            last_activity_at=message.sent_at,
            **counts,
        )
        recipient = message.sender_side.other
        owner = current.shopper_id if recipient is Side.SHOPPER else current.shop_id
        self.totals[(recipient, owner)] = self.totals.get((recipient, owner), 0) + 1
        return AppendOutcome.STORED, message

    def message(self, conversation_id: str, message_id: str) -> Message | None:
        return self.messages.get(conversation_id, {}).get(message_id)

    def claimed(
        self, conversation_id: str, sender_id: str, client_message_id: str
    ) -> Message | None:
        earlier = self.claims.get((conversation_id, sender_id, client_message_id))
        return self.message(conversation_id, earlier) if earlier else None

    def _ordered(self, conversation_id: str) -> list[Message]:
        return sorted(self.messages.get(conversation_id, {}).values(), key=lambda m: m.message_id)

    def messages_after(
        self, conversation_id: str, after: str | None, *, limit: int
    ) -> list[Message]:
        found = [m for m in self._ordered(conversation_id) if after is None or m.message_id > after]
        return found[:limit]

    @staticmethod
    def _page(
        items: list[Any], key: Any, partition: str, limit: int, cursor: str | None
    ) -> Page[Any]:
        start = decode_cursor(cursor)
        if start is not None:
            if start.get("list", {}).get("S") != partition:
                raise BadRequestError("Pagination cursor belongs to another list")
            after = start["after"]["S"]
            items = [item for item in items if key(item) < after]
        page = items[:limit]
        more = None
        if len(page) == limit:
            more = {"list": {"S": partition}, "after": {"S": key(page[-1])}}
        return Page(items=page, next_cursor=encode_cursor(more))

    def history(self, conversation_id: str, *, limit: int, cursor: str | None) -> Page[Message]:
        newest = list(reversed(self._ordered(conversation_id)))
        return self._page(newest, lambda m: m.message_id, f"conv:{conversation_id}", limit, cursor)

    def _inbox(self, side: Side, owner_id: str) -> list[Conversation]:
        mine = [
            c
            for c in self.conversations.values()
            if (c.shopper_id if side is Side.SHOPPER else c.shop_id) == owner_id
        ]
        return sorted(mine, key=_activity, reverse=True)

    def inbox(
        self, side: Side, owner_id: str, *, limit: int, cursor: str | None
    ) -> Page[Conversation]:
        return self._page(
            self._inbox(side, owner_id), _activity, f"{side}:{owner_id}", limit, cursor
        )

    def active_since(
        self, side: Side, owner_id: str, since: datetime, *, limit: int
    ) -> list[Conversation]:
        floor = time_key(since, "")
        return [c for c in self._inbox(side, owner_id) if _activity(c) > floor][:limit]

    def unread_total(self, side: Side, owner_id: str) -> int:
        return max(0, self.totals.get((side, owner_id), 0))

    def mark_read(self, read: Conversation, side: Side, count: int, up_to_message_id: str) -> bool:
        current = self.conversations.get(read.conversation_id)
        if current is None or current.read_count(side) != read.read_count(side):
            return False
        self.conversations[read.conversation_id] = current.read_to(side, count, up_to_message_id)
        owner = current.shopper_id if side is Side.SHOPPER else current.shop_id
        old = read.read_count(side)
        self.totals[(side, owner)] = self.totals.get((side, owner), 0) + old - count
        return True

    def set_blocked(
        self, conversation_id: str, by: str | None, at: datetime
    ) -> Conversation | None:
        current = self.conversations.get(conversation_id)
        if current is None:
            return None
        if by is None:
            current = replace(current, blocked_by=None, blocked_at=None)
        elif current.blocked_by is None:
            current = replace(current, blocked_by=by, blocked_at=at)
        self.conversations[conversation_id] = current
        return current

    def report(
        self, conversation_id: str, by: str, reason: str, at: datetime
    ) -> Conversation | None:
        current = self.conversations.get(conversation_id)
        if current is None:
            return None
        current = replace(current, reported_by=by, reported_at=at, report_reason=reason)
        self.conversations[conversation_id] = current
        self.report_keys[conversation_id] = time_key(at, conversation_id)
        return current

    def reported(self, *, limit: int, cursor: str | None) -> Page[Conversation]:
        found = sorted(
            (self.conversations[cid] for cid in self.report_keys),
            key=lambda c: self.report_keys[c.conversation_id],
            reverse=True,
        )
        return self._page(
            found, lambda c: self.report_keys[c.conversation_id], "reported", limit, cursor
        )


@pytest.fixture
def chat_repo() -> Iterator[InMemoryChatRepository]:
    """Chat's services run on a fresh in-memory repository."""
    fake = InMemoryChatRepository()
    repository.use(fake)
    yield fake
    repository.use(None)
