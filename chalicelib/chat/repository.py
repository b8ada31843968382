"""The chat table, in domain terms: the only module that knows its keys, indexes,
conditions and transactions.

``ChatRepository`` is the port; ``DynamoChatRepository`` the DynamoDB implementation.
Services call ``repository.get()``; tests swap in the in-memory fake
(``tests/fakes/chat.py``) with ``repository.use(fake)``; both pass
``tests/integration/chat/test_repository_contract.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.chat import models as m
from chalicelib.chat.domain import (
    AppendOutcome,
    ChatImage,
    Conversation,
    Message,
    MessageKind,
    Side,
)
from chalicelib.core import dynamo
from chalicelib.core.dynamo import TransactionCancelledError, condition_failed, time_key
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor

T = TypeVar("T")


class ChatRepository(Protocol):
    """Conversations, their messages, client message ids and unread totals."""

    def create(self, conversation: Conversation) -> tuple[Conversation, bool]:
        """Store a new conversation unless one with its id exists: (the stored one, whether
        it was created now)."""
        ...

    def conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation (strongly consistent), or None."""
        ...

    def append(self, read: Conversation, message: Message) -> tuple[AppendOutcome, Message | None]:
        """Store ``message`` as the conversation's next one, in one transaction with the
        conversation's header (last message, the sender side's count, both inboxes), the
        sender's client message id (taken once) and the recipient side's unread total.
        Conditional on the header being as ``read`` (same last message, not blocked).

        STORED with the message; DUPLICATE with the message stored earlier under the same
        client message id; CONFLICT (None) when the header moved: read again and retry.
        """
        ...

    def message(self, conversation_id: str, message_id: str) -> Message | None: ...

    def claimed(
        self, conversation_id: str, sender_id: str, client_message_id: str
    ) -> Message | None:
        """The message stored under a sender's client message id, if any."""
        ...

    def messages_after(
        self, conversation_id: str, after: str | None, *, limit: int
    ) -> list[Message]:
        """Up to ``limit`` messages stored after message id ``after`` (all from the first
        when None), oldest first."""
        ...

    def history(self, conversation_id: str, *, limit: int, cursor: str | None) -> Page[Message]:
        """Messages newest first, a page at a time."""
        ...

    def inbox(
        self, side: Side, owner_id: str, *, limit: int, cursor: str | None
    ) -> Page[Conversation]:
        """A shopper's (``owner_id`` = account) or a shop's conversations, newest activity
        first."""
        ...

    def active_since(
        self, side: Side, owner_id: str, since: datetime, *, limit: int
    ) -> list[Conversation]:
        """Up to ``limit`` conversations of the inbox with activity after ``since``."""
        ...

    def unread_total(self, side: Side, owner_id: str) -> int:
        """Unread messages over all of the inbox's conversations."""
        ...

    def mark_read(self, read: Conversation, side: Side, count: int, up_to_message_id: str) -> bool:
        """Move ``side``'s read mark to ``count`` messages of the other side (up to
        ``up_to_message_id``) and lower its unread total by as many, in one transaction,
        conditional on the mark being as in ``read``; False if it moved meanwhile."""
        ...

    def set_blocked(
        self, conversation_id: str, by: str | None, at: datetime
    ) -> Conversation | None:
        """Block the conversation (``by`` the account; kept if already blocked) or unblock
        it (``by`` None); the conversation after, None if there is none."""
        ...

    def report(
        self, conversation_id: str, by: str, reason: str, at: datetime
    ) -> Conversation | None:
        """Mark the conversation reported (the latest report is kept; it joins the
        admins' list); None if there is none."""
        ...

    def reported(self, *, limit: int, cursor: str | None) -> Page[Conversation]:
        """Reported conversations, most recently reported first."""
        ...


def _conversation_of(item: Any) -> Conversation:
    return Conversation(
        conversation_id=item.conversation_id,
        shopper_id=item.shopper_id,
        shop_id=item.shop_id,
        created_at=item.created_at,
        last_activity_at=item.last_activity_at,
        product_id=item.product_id,
        order_id=item.order_id,
        last_message_id=item.last_message_id,
        last_sender_id=item.last_sender_id,
        last_preview=item.last_preview,
        shopper_messages=int(item.shopper_messages or 0),
        shop_messages=int(item.shop_messages or 0),
        shopper_read_count=int(item.shopper_read_count or 0),
        shop_read_count=int(item.shop_read_count or 0),
        shopper_read_upto=item.shopper_read_upto,
        shop_read_upto=item.shop_read_upto,
        blocked_by=item.blocked_by,
        blocked_at=item.blocked_at,
        reported_by=item.reported_by,
        reported_at=item.reported_at,
        report_reason=item.report_reason,
    )


def _message_of(item: m.Message) -> Message:
    image = None
    if item.image_key:
        image = ChatImage(
            key=item.image_key,
            width=int(item.image_width or 0),
            height=int(item.image_height or 0),
        )
    return Message(
        conversation_id=item.conversation_id,
        message_id=item.message_id,
        sender_id=item.sender_id,
        sender_side=Side(item.sender_side),
        kind=MessageKind(item.kind),
        sent_at=item.sent_at,
        text=item.text,
        image=image,
        client_message_id=item.client_message_id,
        shopper_count=int(item.shopper_count or 0),
        shop_count=int(item.shop_count or 0),
    )


def _message_item(message: Message) -> m.Message:
    return m.Message(
        pk=m.conversation_pk(message.conversation_id),
        sk=m.message_sk(message.message_id),
        conversation_id=message.conversation_id,
        message_id=message.message_id,
        sender_id=message.sender_id,
        sender_side=message.sender_side.value,
        kind=message.kind.value,
        sent_at=message.sent_at,
        text=message.text,
        image_key=message.image.key if message.image else None,
        image_width=message.image.width if message.image else None,
        image_height=message.image.height if message.image else None,
        client_message_id=message.client_message_id,
        shopper_count=message.shopper_count,
        shop_count=message.shop_count,
    )


def _inbox_pk(side: Side, owner_id: str) -> str:
    return m.shopper_inbox_pk(owner_id) if side is Side.SHOPPER else m.shop_inbox_pk(owner_id)


def _owner(conversation: Conversation, side: Side) -> str:
    return conversation.shopper_id if side is Side.SHOPPER else conversation.shop_id


def _page(results: Any, limit: int, convert: Callable[[Any], T]) -> Page[T]:
    items = [convert(item) for item in results]
    more = results.last_evaluated_key if len(items) == limit else None
    return Page(items=items, next_cursor=encode_cursor(more))


def _start(cursor: str | None, key: str, partition: str) -> dict[str, Any] | None:
    start = decode_cursor(cursor)
    if start is not None and start.get(key, {}).get("S") != partition:
        raise BadRequestError("Pagination cursor belongs to another list")
    return start


def _header(conversation_id: str) -> m.Conversation:
    return m.Conversation(pk=m.conversation_pk(conversation_id), sk=m.META_SK)


class DynamoChatRepository:
    """The chat repository on the chat table."""

    def create(self, conversation: Conversation) -> tuple[Conversation, bool]:
        activity = time_key(conversation.last_activity_at, conversation.conversation_id)
        item = m.Conversation(
            pk=m.conversation_pk(conversation.conversation_id),
            sk=m.META_SK,
            conversation_id=conversation.conversation_id,
            shopper_id=conversation.shopper_id,
            shop_id=conversation.shop_id,
            product_id=conversation.product_id,
            order_id=conversation.order_id,
            created_at=conversation.created_at,
            last_activity_at=conversation.last_activity_at,
            gsi1pk=m.shopper_inbox_pk(conversation.shopper_id),
            gsi1sk=activity,
            gsi2pk=m.shop_inbox_pk(conversation.shop_id),
            gsi2sk=activity,
        )
        try:
            item.save(condition=m.Conversation.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            existing = self.conversation(conversation.conversation_id)
            if existing is None:  # pragma: no cover - conversations are never deleted
                raise
            return existing, False
        return _conversation_of(item), True

    def conversation(self, conversation_id: str) -> Conversation | None:
        try:
            item = m.Conversation.get(
                m.conversation_pk(conversation_id), m.META_SK, consistent_read=True
            )
        except m.Conversation.DoesNotExist:
            return None
        return _conversation_of(item)

    def append(self, read: Conversation, message: Message) -> tuple[AppendOutcome, Message | None]:
        side = message.sender_side
        recipient = side.other
        activity = time_key(message.sent_at, read.conversation_id)
        count_attribute = (
            m.Conversation.shopper_messages
            if side is Side.SHOPPER
            else (m.Conversation.shop_messages)
        )
        unchanged = (
            m.Conversation.last_message_id == read.last_message_id
            if read.last_message_id
            else m.Conversation.last_message_id.does_not_exist()
        )
        claim = None
        if message.client_message_id:
            claim = m.ClientIdClaim(
                pk=m.conversation_pk(read.conversation_id),
                sk=m.client_id_sk(message.sender_id, message.client_message_id),
                message_id=message.message_id,
            )
        try:
            with dynamo.transaction() as writer:
                writer.update(
                    _header(read.conversation_id),
                    actions=[
                        m.Conversation.last_message_id.set(message.message_id),
                        m.Conversation.last_sender_id.set(message.sender_id),
                        m.Conversation.last_preview.set(message.preview),
                        m.Conversation.last_activity_at.set(message.sent_at),
                        m.Conversation.gsi1sk.set(activity),
                        m.Conversation.gsi2sk.set(activity),
                        count_attribute.set(message.sender_count),
                    ],
                    condition=m.Conversation.pk.exists()
                    & unchanged
                    & m.Conversation.blocked_by.does_not_exist(),
                )
                writer.save(_message_item(message), condition=m.Message.pk.does_not_exist())
                if claim is not None:
                    writer.save(claim, condition=m.ClientIdClaim.pk.does_not_exist())
                writer.update(
                    m.UnreadTotal(pk=m.unread_pk(recipient, _owner(read, recipient))),
                    actions=[m.UnreadTotal.unread.add(1)],
                )
        except TransactionCancelledError:
            # pynamodb groups the items by kind: ask which condition failed.
            if claim is not None:
                earlier = self._claimed(claim.pk, claim.sk)
                if earlier is not None:
                    return AppendOutcome.DUPLICATE, self.message(read.conversation_id, earlier)
            return AppendOutcome.CONFLICT, None
        return AppendOutcome.STORED, message

    def claimed(
        self, conversation_id: str, sender_id: str, client_message_id: str
    ) -> Message | None:
        earlier = self._claimed(
            m.conversation_pk(conversation_id), m.client_id_sk(sender_id, client_message_id)
        )
        return self.message(conversation_id, earlier) if earlier else None

    def _claimed(self, pk: str, sk: str) -> str | None:
        try:
            return str(m.ClientIdClaim.get(pk, sk, consistent_read=True).message_id)
        except m.ClientIdClaim.DoesNotExist:
            return None

    def message(self, conversation_id: str, message_id: str) -> Message | None:
        try:
            item = m.Message.get(
                m.conversation_pk(conversation_id),
                m.message_sk(message_id),
                consistent_read=True,
            )
        except m.Message.DoesNotExist:
            return None
        return _message_of(item)

    def messages_after(
        self, conversation_id: str, after: str | None, *, limit: int
    ) -> list[Message]:
        condition = (
            m.Message.sk > m.message_sk(after)
            if after
            else m.Message.sk.startswith(m.MESSAGE_PREFIX)
        )
        # A key after MSG#… also matches no other kind of item: MSG# sorts last.
        items = m.Message.query(
            m.conversation_pk(conversation_id), condition, limit=limit, consistent_read=True
        )
        return [_message_of(item) for item in items]

    def history(self, conversation_id: str, *, limit: int, cursor: str | None) -> Page[Message]:
        partition = m.conversation_pk(conversation_id)
        return _page(
            m.Message.query(
                partition,
                m.Message.sk.startswith(m.MESSAGE_PREFIX),
                scan_index_forward=False,
                limit=limit,
                consistent_read=True,
                last_evaluated_key=_start(cursor, "pk", partition),
            ),
            limit,
            _message_of,
        )

    def inbox(
        self, side: Side, owner_id: str, *, limit: int, cursor: str | None
    ) -> Page[Conversation]:
        partition = _inbox_pk(side, owner_id)
        index = m.Conversation.shopper_inbox if side is Side.SHOPPER else m.Conversation.shop_inbox
        key = "gsi1pk" if side is Side.SHOPPER else "gsi2pk"
        return _page(
            index.query(
                partition,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=_start(cursor, key, partition),
            ),
            limit,
            _conversation_of,
        )

    def active_since(
        self, side: Side, owner_id: str, since: datetime, *, limit: int
    ) -> list[Conversation]:
        partition = _inbox_pk(side, owner_id)
        if side is Side.SHOPPER:
            found = m.Conversation.shopper_inbox.query(
                partition, m.Conversation.gsi1sk > time_key(since, ""), limit=limit
            )
        else:
            found = m.Conversation.shop_inbox.query(
                partition, m.Conversation.gsi2sk > time_key(since, ""), limit=limit
            )
        return [_conversation_of(item) for item in found]

    def unread_total(self, side: Side, owner_id: str) -> int:
        try:
            item = m.UnreadTotal.get(m.unread_pk(side, owner_id), m.TOTAL_SK, consistent_read=True)
        except m.UnreadTotal.DoesNotExist:
            return 0
        return max(0, int(item.unread or 0))

    def mark_read(self, read: Conversation, side: Side, count: int, up_to_message_id: str) -> bool:
        if side is Side.SHOPPER:
            mark, upto = m.Conversation.shopper_read_count, m.Conversation.shopper_read_upto
        else:
            mark, upto = m.Conversation.shop_read_count, m.Conversation.shop_read_upto
        old = read.read_count(side)
        unchanged = (mark == old) if old else (mark.does_not_exist() | (mark == 0))
        try:
            with dynamo.transaction() as writer:
                writer.update(
                    _header(read.conversation_id),
                    actions=[mark.set(count), upto.set(up_to_message_id)],
                    condition=m.Conversation.pk.exists() & unchanged,
                )
                writer.update(
                    m.UnreadTotal(pk=m.unread_pk(side, _owner(read, side))),
                    actions=[m.UnreadTotal.unread.add(old - count)],
                )
        except TransactionCancelledError:
            return False
        return True

    def set_blocked(
        self, conversation_id: str, by: str | None, at: datetime
    ) -> Conversation | None:
        item = _header(conversation_id)
        actions: list[Action]
        if by is None:
            actions = [m.Conversation.blocked_by.remove(), m.Conversation.blocked_at.remove()]
            condition = m.Conversation.pk.exists()
        else:
            actions = [m.Conversation.blocked_by.set(by), m.Conversation.blocked_at.set(at)]
            condition = m.Conversation.pk.exists() & m.Conversation.blocked_by.does_not_exist()
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return self.conversation(conversation_id)
        return _conversation_of(item)

    def report(
        self, conversation_id: str, by: str, reason: str, at: datetime
    ) -> Conversation | None:
        item = _header(conversation_id)
        try:
            item.update(
                actions=[
                    m.Conversation.reported_by.set(by),
                    m.Conversation.reported_at.set(at),
                    m.Conversation.report_reason.set(reason),
                    m.Conversation.gsi3pk.set(m.REPORTED),
                    m.Conversation.gsi3sk.set(time_key(at, conversation_id)),
                ],
                condition=m.Conversation.pk.exists(),
            )
        except UpdateError as error:
            if condition_failed(error):
                return None
            raise
        return _conversation_of(item)

    def reported(self, *, limit: int, cursor: str | None) -> Page[Conversation]:
        return _page(
            m.Conversation.reported.query(
                m.REPORTED,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=_start(cursor, "gsi3pk", m.REPORTED),
            ),
            limit,
            _conversation_of,
        )


_repository: ChatRepository | None = None


def get() -> ChatRepository:
    """The repository in use: the DynamoDB one unless a test swapped in another."""
    global _repository
    if _repository is None:
        _repository = DynamoChatRepository()
    return _repository


def use(repository: ChatRepository | None) -> None:
    """Use ``repository`` from now on (None: back to the DynamoDB one)."""
    global _repository
    _repository = repository
