"""Chat use cases: conversations between a shopper and a shop, their messages, read
marks, blocks and reports, and delivery over the WebSocket API.

A message is stored before it is delivered: ``send`` writes it (one transaction with the
conversation's header, the sender's client message id and the recipient side's unread
total), then pushes it to every open connection of every other participant and to the
sender's other connections, then announces ``chat.message.sent``. Whoever was offline
gets it from history or from ``chat.resume``. The shop side is whoever
``catalog.service.shops.staff_of(shop)`` names; anybody else is told the conversation does
not exist (404, or an error frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.catalog.service import UploadGrant
from chalicelib.catalog.service import images as catalog_images
from chalicelib.catalog.service import products as catalog_products
from chalicelib.catalog.service import shops as catalog_shops
from chalicelib.chat import repository
from chalicelib.chat.domain import (
    AppendOutcome,
    ChatImage,
    Conversation,
    Message,
    MessageKind,
    Participant,
    ReadReceipt,
    Side,
    conversation_id_of,
)
from chalicelib.chat.errors import (
    ConversationBlockedError,
    ConversationNotFoundError,
    ImageRefusedError,
)
from chalicelib.chat.events import ChatMessageSent, ChatRead
from chalicelib.chat.schemas import MessageView, PresenceView
from chalicelib.core import clock, events
from chalicelib.core.caller import Caller, Role
from chalicelib.core.dynamo import new_id, time_key
from chalicelib.core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationFailedError,
)
from chalicelib.core.pagination import Page
from chalicelib.core.settings import get_settings
from chalicelib.orders.service import orders as orders_service
from chalicelib.realtime import service as realtime

APPEND_ATTEMPTS = 8
READ_ATTEMPTS = 5
RESUME_PAGE = 100
RESUME_CONVERSATIONS = 100
UPLOAD_PREFIX = "uploads/chat/"
MEDIA_PREFIX = "media/chat/"


@dataclass(frozen=True)
class Attendance:
    """A conversation as one account sees it: its side (None: an admin reading a report)
    and everybody taking part."""

    conversation: Conversation
    side: Side | None
    participants: list[Participant]

    def others(self, account_id: str) -> list[str]:
        return [p.account_id for p in self.participants if p.account_id != account_id]

    def of_side(self, side: Side) -> list[str]:
        return [p.account_id for p in self.participants if p.side is side]


def _participants(conversation: Conversation) -> list[Participant]:
    staff = catalog_shops.staff_of(conversation.shop_id)
    return [
        Participant(conversation.shopper_id, Side.SHOPPER),
        *(
            Participant(account, Side.SHOP)
            for account in staff
            if account != conversation.shopper_id
        ),
    ]


def attend(account_id: str | None, conversation_id: str, *, admin: bool = False) -> Attendance:
    """The conversation for a participant (an admin too, once it was reported); raises
    ConversationNotFoundError for anybody else, as for an unknown id."""
    if not account_id:
        raise UnauthorizedError("Sign in first")
    conversation = repository.get().conversation(conversation_id)
    if conversation is None:
        raise ConversationNotFoundError(conversation_id)
    participants = _participants(conversation)
    side = next((p.side for p in participants if p.account_id == account_id), None)
    if side is None and not (admin and conversation.reported):
        raise ConversationNotFoundError(conversation_id)
    return Attendance(conversation, side, participants)


def _as_participant(account_id: str | None, conversation_id: str) -> tuple[Attendance, Side]:
    attendance = attend(account_id, conversation_id)
    assert attendance.side is not None
    return attendance, attendance.side


# ---------- REST ----------
def start(
    caller: Caller, shop_id: str | None, product_id: str | None, order_id: str | None
) -> Attendance:
    """Create the conversation between a shopper and a shop about nothing, a product or an
    order, or get it if it exists. A shopper names the shop (the product must be the
    shop's and visible, the order theirs and from that shop); a seller names an order of
    their shop (the conversation is with its shopper). 404 for what they may not see."""
    if caller.role is Role.USER:
        if not shop_id:
            raise ValidationFailedError(
                "Invalid request: shop_id",
                details=[{"field": "shop_id", "message": "required", "type": "missing"}],
            )
        shop = catalog_shops.visible_shop(shop_id)
        shopper_id = caller.account_id
        if product_id:
            product, _ = catalog_products.visible_product(product_id)
            if product.shop_id != shop.shop_id:
                raise NotFoundError(
                    "No such product in this shop", details={"product_id": product_id}
                )
        if order_id:
            order = orders_service.order_for(caller, order_id)
            if order.shop_id != shop.shop_id or order.user_id != caller.account_id:
                raise NotFoundError("No such order", details={"order_id": order_id})
    elif caller.role is Role.SELLER:
        if not order_id or product_id:
            raise ValidationFailedError(
                "Invalid request: order_id",
                details=[
                    {
                        "field": "order_id",
                        "message": "a seller starts a conversation about one of the shop's orders",
                        "type": "missing",
                    }
                ],
            )
        order = orders_service.order_for(caller, order_id)
        if caller.account_id not in catalog_shops.staff_of(order.shop_id) or (
            shop_id and shop_id != order.shop_id
        ):
            raise NotFoundError("No such order", details={"order_id": order_id})
        shopper_id, shop_id = order.user_id, order.shop_id
    else:
        raise ForbiddenError("Admins read reported conversations; they do not start them")
    now = clock.now()
    conversation, _ = repository.get().create(
        Conversation(
            conversation_id=conversation_id_of(shopper_id, shop_id, product_id, order_id),
            shopper_id=shopper_id,
            shop_id=shop_id,
            product_id=product_id,
            order_id=order_id,
            created_at=now,
            last_activity_at=now,
        )
    )
    return attend(caller.account_id, conversation.conversation_id)


def presence_of(attendance: Attendance) -> list[PresenceView]:
    """Every participant with whether they are online and when they were last seen."""
    found = realtime.presence([p.account_id for p in attendance.participants])
    return [
        PresenceView(
            account_id=p.account_id,
            side=p.side.value,
            online=found[p.account_id].online,
            last_seen=found[p.account_id].last_seen,
        )
        for p in attendance.participants
    ]


def _inbox_owner(caller: Caller) -> tuple[Side, str]:
    if caller.role is Role.USER:
        return Side.SHOPPER, caller.account_id
    if caller.role is Role.SELLER:
        shop = catalog_shops.shop_of_seller(caller.account_id)
        if shop is None:
            raise NotFoundError("You have no shop yet: create one first")
        return Side.SHOP, shop.shop_id
    raise ForbiddenError("Admins have no inbox; they read reported conversations")


def inbox(
    caller: Caller, *, limit: int, cursor: str | None
) -> tuple[Side, Page[Conversation], int]:
    """A shopper's conversations, or the seller's shop's, newest activity first; with the
    unread total over all of them."""
    side, owner = _inbox_owner(caller)
    repo = repository.get()
    page = repo.inbox(side, owner, limit=limit, cursor=cursor)
    return side, page, repo.unread_total(side, owner)


def history(
    caller: Caller, conversation_id: str, *, limit: int, cursor: str | None
) -> Page[Message]:
    """A conversation's messages, newest first (participants; admins once reported)."""
    attend(caller.account_id, conversation_id, admin=caller.is_admin)
    return repository.get().history(conversation_id, limit=limit, cursor=cursor)


def block(caller: Caller, conversation_id: str) -> Attendance:
    """Block the conversation: no message goes either way until the blocker unblocks it."""
    _as_participant(caller.account_id, conversation_id)
    repository.get().set_blocked(conversation_id, caller.account_id, clock.now())
    return attend(caller.account_id, conversation_id)


def unblock(caller: Caller, conversation_id: str) -> Attendance:
    """Lift the caller's own block (someone else's block stays: 409)."""
    attendance, _ = _as_participant(caller.account_id, conversation_id)
    blocker = attendance.conversation.blocked_by
    if blocker is not None and blocker != caller.account_id:
        raise ConversationBlockedError("Only the participant who blocked it can unblock it")
    repository.get().set_blocked(conversation_id, None, clock.now())
    return attend(caller.account_id, conversation_id)


def report(caller: Caller, conversation_id: str, reason: str) -> Attendance:
    """Report the conversation to the admins (who may then read it)."""
    _as_participant(caller.account_id, conversation_id)
    repository.get().report(conversation_id, caller.account_id, reason, clock.now())
    return attend(caller.account_id, conversation_id)


def reported(*, limit: int, cursor: str | None) -> Page[Conversation]:
    """Reported conversations, most recently reported first (admins)."""
    return repository.get().reported(limit=limit, cursor=cursor)


def upload_key(conversation_id: str, sender_id: str, image_id: str) -> str:
    return f"{UPLOAD_PREFIX}{conversation_id}/{sender_id}/{image_id}"


def request_image_upload(
    caller: Caller, conversation_id: str, content_type: str, size: int
) -> UploadGrant:
    """A pre-signed POST for one image the caller will send in the conversation."""
    attendance, _ = _as_participant(caller.account_id, conversation_id)
    if attendance.conversation.blocked:
        raise ConversationBlockedError("This conversation is blocked")
    limit = get_settings().image_max_bytes
    if size > limit:
        raise ValidationFailedError(
            "Invalid request: size",
            details=[
                {
                    "field": "size",
                    "message": f"images are at most {limit} bytes",
                    "type": "too_large",
                }
            ],
        )
    return catalog_images.grant_upload(
        upload_key(conversation_id, caller.account_id, new_id()), content_type
    )


# ---------- WebSocket ----------
@dataclass(frozen=True)
class Sent:
    """A stored message, whether it had been stored before (a resend), and how many
    connections it reached."""

    message: Message
    duplicate: bool
    delivered: int = 0


def message_frame(message: Message, **extra: Any) -> dict[str, Any]:
    return {
        "type": "chat.message",
        "message": MessageView.of(message).model_dump(mode="json"),
        **extra,
    }


def send(
    account_id: str | None,
    conversation_id: str,
    *,
    client_message_id: str,
    text: str | None = None,
    image_id: str | None = None,
    connection_id: str | None = None,
) -> Sent:
    """Store a message, then deliver it to every other participant's connections and the
    sender's other connections (not ``connection_id``), then announce it. A client
    message id already stored for this sender returns that message (stored once)."""
    attendance, side = _as_participant(account_id, conversation_id)
    assert account_id is not None
    text = text.strip() if text else None
    limit = get_settings().chat_text_max_chars
    if text and len(text) > limit:
        raise ValidationFailedError(
            f"A message is at most {limit} characters",
            details=[
                {"field": "text", "message": f"at most {limit} characters", "type": "too_long"}
            ],
        )
    if not text and not image_id:
        raise ValidationFailedError(
            "A message needs text or an image",
            details=[
                {"field": "text", "message": "text or image_id is required", "type": "missing"}
            ],
        )
    conversation = attendance.conversation
    if conversation.blocked:
        raise ConversationBlockedError("This conversation is blocked")
    repo = repository.get()
    image = None
    if image_id:
        earlier = repo.claimed(conversation_id, account_id, client_message_id)
        if earlier is not None:
            return Sent(earlier, duplicate=True)
        image = _accept_image(conversation_id, account_id, image_id)
    for _ in range(APPEND_ATTEMPTS):
        message = _next_message(conversation, side, account_id, client_message_id, text, image)
        outcome, stored = repo.append(conversation, message)
        if outcome is AppendOutcome.DUPLICATE and stored is not None:
            return Sent(stored, duplicate=True)
        if outcome is AppendOutcome.STORED and stored is not None:
            break
        fresh = repo.conversation(conversation_id)
        if fresh is None:
            raise ConversationNotFoundError(conversation_id)
        if fresh.blocked:
            raise ConversationBlockedError("This conversation is blocked")
        conversation = fresh
    else:
        raise ConflictError("The conversation is busy; send again (same client_message_id)")
    recipients = attendance.others(account_id)
    delivered = realtime.send_to_accounts(
        [*recipients, account_id], message_frame(stored), skip=connection_id
    )
    events.publish(ChatMessageSent.of(conversation, stored, recipients), best_effort=True)
    return Sent(stored, duplicate=False, delivered=delivered)


def _next_message(
    conversation: Conversation,
    side: Side,
    sender_id: str,
    client_message_id: str,
    text: str | None,
    image: ChatImage | None,
) -> Message:
    at = conversation.next_message_time(clock.now())
    return Message(
        conversation_id=conversation.conversation_id,
        message_id=time_key(at, new_id()[:16]),
        sender_id=sender_id,
        sender_side=side,
        kind=MessageKind.IMAGE if image else MessageKind.TEXT,
        sent_at=at,
        text=text,
        image=image,
        client_message_id=client_message_id,
        shopper_count=conversation.shopper_messages + (side is Side.SHOPPER),
        shop_count=conversation.shop_messages + (side is Side.SHOP),
    )


def _accept_image(conversation_id: str, sender_id: str, image_id: str) -> ChatImage:
    key = upload_key(conversation_id, sender_id, image_id)
    rendition = f"{MEDIA_PREFIX}{conversation_id}/{image_id}.webp"
    try:
        width, height = catalog_images.accept_upload(key, rendition)
    except catalog_images.ImageRejectedError as rejected:
        raise ImageRefusedError(
            f"The image was refused: {rejected.reason}", details={"reason": rejected.reason}
        ) from None
    return ChatImage(key=rendition, width=width, height=height)


def typing(
    account_id: str | None,
    conversation_id: str,
    is_typing: bool,
    *,
    connection_id: str | None = None,
) -> int:
    """Tell the other participants (and the typist's other connections) that the account
    is typing or stopped; nothing is stored. How many connections it reached."""
    attendance, side = _as_participant(account_id, conversation_id)
    assert account_id is not None
    if attendance.conversation.blocked:
        raise ConversationBlockedError("This conversation is blocked")
    frame = {
        "type": "chat.typing",
        "conversation_id": conversation_id,
        "account_id": account_id,
        "side": side.value,
        "typing": is_typing,
    }
    return realtime.send_to_accounts(
        [*attendance.others(account_id), account_id], frame, skip=connection_id
    )


def read(account_id: str | None, conversation_id: str, up_to_message_id: str) -> ReadReceipt:
    """Mark the conversation seen up to a message for the reader's side (read marks only
    move forward); push the receipt to every participant's connections, with the reader
    side's new unread counts; announce ``chat.read`` when the mark moved."""
    attendance, side = _as_participant(account_id, conversation_id)
    assert account_id is not None
    repo = repository.get()
    message = repo.message(conversation_id, up_to_message_id)
    if message is None:
        raise NotFoundError(
            "No such message in this conversation", details={"up_to_message_id": up_to_message_id}
        )
    count = message.count_of(side.other)
    conversation = attendance.conversation
    moved = False
    for _ in range(READ_ATTEMPTS):
        if count <= conversation.read_count(side):
            break
        if repo.mark_read(conversation, side, count, up_to_message_id):
            moved = True
            conversation = conversation.read_to(side, count, up_to_message_id)
            break
        fresh = repo.conversation(conversation_id)
        if fresh is None:
            raise ConversationNotFoundError(conversation_id)
        conversation = fresh
    receipt = ReadReceipt(
        conversation_id=conversation_id,
        reader_id=account_id,
        side=side,
        up_to_message_id=conversation.read_upto(side) or up_to_message_id,
        read_at=clock.now(),
        unread=conversation.unread_for(side),
        moved=moved,
    )
    owner = conversation.shopper_id if side is Side.SHOPPER else conversation.shop_id
    frame = {
        "type": "chat.read",
        "conversation_id": conversation_id,
        "reader_id": account_id,
        "side": side.value,
        "up_to_message_id": receipt.up_to_message_id,
        "read_at": clock.iso(receipt.read_at),
    }
    realtime.send_to_accounts(
        attendance.of_side(side),
        {**frame, "unread": receipt.unread, "unread_total": repo.unread_total(side, owner)},
    )
    realtime.send_to_accounts(attendance.of_side(side.other), frame)
    if moved:
        events.publish(ChatRead.of(receipt), best_effort=True)
    return receipt


@dataclass(frozen=True)
class Resumed:
    """What a resume replayed: the last message id per conversation, how many, and
    whether the budget ran out before everything was sent (resume again from ``cursors``)."""

    cursors: dict[str, str | None]
    replayed: int
    more: bool


def resume(
    account_id: str | None,
    connection_id: str,
    cursors: dict[str, str | None],
    since: str | None = None,
) -> Resumed:
    """Send this connection every message it missed, once each, in order per conversation:
    those after each cursor, and, for the account's conversations with activity after
    ``since`` that are not in ``cursors``, those after ``since``. Bounded by the
    ``chat_resume_max_messages`` setting (``more`` says to resume again)."""
    if not account_id:
        raise UnauthorizedError("Sign in first")
    wanted: dict[str, str | None] = {}
    for conversation_id, after in cursors.items():
        attend(account_id, conversation_id)  # 404 for a conversation not theirs
        wanted[conversation_id] = after
    if since:
        for conversation in _active_since(account_id, _time_of(since)):
            wanted.setdefault(conversation.conversation_id, since)
    budget = get_settings().chat_resume_max_messages
    repo = repository.get()
    replayed = 0
    more = False
    last: dict[str, str | None] = dict(wanted)
    for conversation_id, after in wanted.items():
        cursor = after
        while True:
            room = budget - replayed
            if room <= 0:
                more = True
                break
            page = repo.messages_after(conversation_id, cursor, limit=min(RESUME_PAGE, room))
            for message in page:
                realtime.send(connection_id, message_frame(message, replayed=True))
                cursor = message.message_id
            replayed += len(page)
            last[conversation_id] = cursor
            if len(page) < min(RESUME_PAGE, room):
                break
        if more:
            break
    return Resumed(cursors=last, replayed=replayed, more=more)


def _time_of(message_id: str) -> datetime:
    try:
        return clock.parse(message_id.split("#", 1)[0])
    except ValueError:
        raise ValidationFailedError(
            "since must be a message id",
            details=[{"field": "since", "message": "not a message id", "type": "value_error"}],
        ) from None


def _active_since(account_id: str, since: datetime) -> list[Conversation]:
    repo = repository.get()
    found = repo.active_since(Side.SHOPPER, account_id, since, limit=RESUME_CONVERSATIONS)
    shop = catalog_shops.shop_of_seller(account_id)
    if shop is not None and account_id in catalog_shops.staff_of(shop.shop_id):
        found += repo.active_since(Side.SHOP, shop.shop_id, since, limit=RESUME_CONVERSATIONS)
    return found
