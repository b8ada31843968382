"""Chat use cases, Given / When / Then, on the in-memory fakes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from chalicelib.chat import service
from chalicelib.chat.domain import Side
from chalicelib.chat.errors import (
    ConversationBlockedError,
    ConversationNotFoundError,
    ImageRefusedError,
)
from chalicelib.core.errors import ForbiddenError, NotFoundError, ValidationFailedError
from tests.unit.chat.conftest import ADMIN, SELLER, SHOPPER, STRANGER, World


def start(world: World, **subject: Any) -> str:
    attendance = service.start(
        SHOPPER, "shop-1", subject.get("product_id"), subject.get("order_id")
    )
    return attendance.conversation.conversation_id


def send(account: str, cid: str, client_id: str, text: str = "hi", **kw: Any) -> service.Sent:
    return service.send(account, cid, client_message_id=client_id, text=text, **kw)


# ---------- conversations ----------
def test_a_shopper_starts_one_conversation_per_shop_and_subject(world: World) -> None:
    # When the shopper starts a conversation with a shop twice, and once about a product
    first = service.start(SHOPPER, "shop-1", None, None)
    again = service.start(SHOPPER, "shop-1", None, None)
    about = service.start(SHOPPER, "shop-1", "p-1", None)
    # Then the first two are the same conversation, the product one another
    assert first.conversation.conversation_id == again.conversation.conversation_id
    assert about.conversation.conversation_id != first.conversation.conversation_id
    assert about.conversation.product_id == "p-1"
    # And the shopper is on the shopper side, the seller is the shop side
    assert first.side is Side.SHOPPER
    assert [(p.account_id, p.side) for p in first.participants] == [
        ("ann", Side.SHOPPER),
        ("seller-1", Side.SHOP),
    ]


def test_a_product_of_another_shop_or_an_unknown_shop_is_not_found(world: World) -> None:
    with pytest.raises(NotFoundError):
        service.start(SHOPPER, "shop-1", "p-other", None)
    with pytest.raises(NotFoundError):
        service.start(SHOPPER, "no-shop", None, None)


def test_a_seller_starts_only_about_an_order_and_an_admin_not_at_all(world: World) -> None:
    with pytest.raises(ValidationFailedError):
        service.start(SELLER, None, None, None)
    with pytest.raises(ForbiddenError):
        service.start(ADMIN, "shop-1", None, None)


def test_a_non_participant_is_told_the_conversation_does_not_exist(world: World) -> None:
    # Given a conversation of the shopper and shop-1
    cid = start(world)
    # Then a stranger, and the seller of another shop, can neither read nor send
    for account in ("eve", "seller-2"):
        with pytest.raises(ConversationNotFoundError):
            service.attend(account, cid)
        with pytest.raises(ConversationNotFoundError):
            send(account, cid, "x-1")
    with pytest.raises(ConversationNotFoundError):
        service.history(STRANGER, cid, limit=10, cursor=None)
    # And an admin only once it is reported
    with pytest.raises(ConversationNotFoundError):
        service.history(ADMIN, cid, limit=10, cursor=None)
    service.report(SHOPPER, cid, "rude")
    assert service.history(ADMIN, cid, limit=10, cursor=None).items == []
    assert [c.conversation_id for c in service.reported(limit=5, cursor=None).items] == [cid]


# ---------- sending ----------
def test_a_message_reaches_every_other_connection_but_the_senders_own(world: World) -> None:
    # Given the shopper on two connections and the seller on one
    cid = start(world)
    phone, laptop = world.connect("phone", "ann"), world.connect("laptop", "ann")
    shop = world.connect("shop", "seller-1")
    # When the shopper sends from the phone
    sent = send("ann", cid, "c-1", "Do you have size 42?", connection_id=phone)
    # Then the seller and the laptop get it, the phone does not (it gets the ack instead)
    assert [f["message"]["text"] for f in world.frames(shop, "chat.message")] == [
        "Do you have size 42?"
    ]
    assert [f["message"]["message_id"] for f in world.frames(laptop, "chat.message")] == [
        sent.message.message_id
    ]
    assert world.frames(phone) == []
    assert sent.delivered == 2


def test_a_message_is_stored_before_it_is_delivered(world: World) -> None:
    # Given a gateway that looks the message up in the store as it is posted
    cid = start(world)
    world.connect("shop", "seller-1")
    seen: list[bool] = []
    post = world.sockets.post

    def checking_post(connection_id: str, payload: dict[str, Any]) -> bool:
        message_id = payload["message"]["message_id"]
        seen.append(world.chat.message(cid, message_id) is not None)
        return post(connection_id, payload)

    world.sockets.post = checking_post  # type: ignore[method-assign]
    # When a message is sent
    send("ann", cid, "c-1")
    # Then it was in the store when it went out
    assert seen == [True]


def test_a_resent_client_message_id_is_stored_once_and_acked_with_the_same_id(
    world: World, bus: Any
) -> None:
    cid = start(world)
    shop = world.connect("shop", "seller-1")
    # When the same client message id is sent twice
    first = send("ann", cid, "c-1", "once")
    again = send("ann", cid, "c-1", "once")
    # Then one message is stored, the second answer is the first message, delivered once
    assert again.duplicate is True
    assert first.duplicate is False
    assert again.message.message_id == first.message.message_id
    assert len(world.chat.messages_after(cid, None, limit=10)) == 1
    assert len(world.frames(shop, "chat.message")) == 1
    assert bus.names() == ["chat.message.sent"]


def test_sent_messages_are_announced_for_notifications(world: World, bus: Any) -> None:
    cid = start(world)
    sent = send("seller-1", cid, "s-1", "x" * 300)
    (event,) = bus.events
    assert event.name == "chat.message.sent"
    assert event.model_dump() == {
        "conversation_id": cid,
        "message_id": sent.message.message_id,
        "shop_id": "shop-1",
        "shopper_id": "ann",
        "sender_id": "seller-1",
        "recipient_ids": ["ann"],
        "kind": "text",
        "preview": "x" * 139 + "…",
        "sent_at": event.sent_at,
    }


def test_message_ids_grow_in_the_order_messages_are_stored(world: World) -> None:
    cid = start(world)
    ids = [send("ann" if n % 2 else "seller-1", cid, f"c-{n}").message.message_id for n in range(6)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 6


def test_too_long_empty_or_blocked_messages_are_refused(world: World) -> None:
    cid = start(world)
    with pytest.raises(ValidationFailedError):
        send("ann", cid, "c-1", "x" * 4001)
    with pytest.raises(ValidationFailedError):
        send("ann", cid, "c-2", "   ")
    service.block(SELLER, cid)
    with pytest.raises(ConversationBlockedError):
        send("ann", cid, "c-3")
    with pytest.raises(ConversationBlockedError):  # only the blocker lifts it
        service.unblock(SHOPPER, cid)
    service.unblock(SELLER, cid)
    assert send("ann", cid, "c-4").duplicate is False


# ---------- typing, read receipts, unread counts ----------
def test_typing_reaches_the_other_side_and_is_not_stored(world: World) -> None:
    cid = start(world)
    shop = world.connect("shop", "seller-1")
    mine = world.connect("mine", "ann")
    service.typing("ann", cid, True, connection_id=mine)
    assert world.frames(shop, "chat.typing") == [
        {
            "type": "chat.typing",
            "conversation_id": cid,
            "account_id": "ann",
            "side": "shopper",
            "typing": True,
        }
    ]
    assert world.frames(mine) == []
    assert world.chat.messages_after(cid, None, limit=10) == []


def test_reading_drops_unread_counts_and_the_receipt_reaches_both_sides(
    world: World, bus: Any
) -> None:
    # Given the seller wrote three messages to the shopper
    cid = start(world)
    shop, phone = world.connect("shop", "seller-1"), world.connect("phone", "ann")
    sent = [send("seller-1", cid, f"s-{n}", connection_id=shop).message for n in range(3)]
    _side, page, total = service.inbox(SHOPPER, limit=10, cursor=None)
    assert (page.items[0].unread_for(Side.SHOPPER), total) == (3, 3)
    # When the shopper has read up to the second
    receipt = service.read("ann", cid, sent[1].message_id)
    # Then one is unread, the shopper's connection hears so, the seller gets the receipt
    assert (receipt.unread, receipt.moved) == (1, True)
    (mine,) = world.frames(phone, "chat.read")
    assert (mine["unread"], mine["unread_total"]) == (1, 1)
    (theirs,) = world.frames(shop, "chat.read")
    assert theirs["up_to_message_id"] == sent[1].message_id
    assert theirs["reader_id"] == "ann"
    assert "unread" not in theirs
    assert service.inbox(SHOPPER, limit=10, cursor=None)[2] == 1
    assert "chat.read" in bus.names()
    # And reading an earlier message does not move the mark back
    assert service.read("ann", cid, sent[0].message_id).unread == 1
    # And the shop's own inbox counts nothing unread
    assert service.inbox(SELLER, limit=10, cursor=None)[2] == 0


def test_reading_an_unknown_message_is_not_found(world: World) -> None:
    cid = start(world)
    with pytest.raises(NotFoundError):
        service.read("ann", cid, "2026-01-01T00:00:00.000000+00:00#nope")


# ---------- resume ----------
def test_resume_replays_every_missed_message_once_in_order(world: World) -> None:
    # Given the shopper saw the first of five messages, then was away
    cid = start(world)
    sent = [send("seller-1", cid, f"s-{n}").message for n in range(5)]
    back = world.connect("back", "ann")
    # When it resumes from the first
    resumed = service.resume("ann", back, {cid: sent[0].message_id})
    # Then it gets the four others, in order, once, and the new cursor
    got = [f["message"]["message_id"] for f in world.frames(back, "chat.message")]
    assert got == [m.message_id for m in sent[1:]]
    assert resumed.cursors == {cid: sent[-1].message_id}
    assert (resumed.replayed, resumed.more) == (4, False)
    # And resuming from there replays nothing
    assert service.resume("ann", back, resumed.cursors).replayed == 0


@pytest.fixture
def small_resume_budget(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from chalicelib.core.settings import reset_settings

    monkeypatch.setenv("BAZAAR_CHAT_RESUME_MAX_MESSAGES", "10")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


@pytest.mark.usefixtures("small_resume_budget")
def test_resume_is_bounded_and_continues_from_its_cursor(world: World) -> None:

    # Given 25 messages missed and a resume budget of 10
    cid = start(world)
    sent = [send("seller-1", cid, f"s-{n}").message for n in range(25)]
    back = world.connect("back", "ann")
    # When the client resumes, and again while the answer says there is more
    first = service.resume("ann", back, {cid: None})
    assert (first.replayed, first.more) == (10, True)
    rest = [service.resume("ann", back, first.cursors)]
    while rest[-1].more:
        rest.append(service.resume("ann", back, rest[-1].cursors))
    # Then it got all 25, in order, once each
    got = [f["message"]["message_id"] for f in world.frames(back, "chat.message")]
    assert got == [m.message_id for m in sent]


def test_resume_since_covers_conversations_without_a_cursor(world: World) -> None:
    cid = start(world)
    other = service.start(SHOPPER, "shop-2", None, None).conversation.conversation_id
    seen = send("seller-1", cid, "s-0").message
    missed = [send("seller-2", other, "t-0").message, send("seller-1", cid, "s-1").message]
    back = world.connect("back", "ann")
    service.resume("ann", back, {}, since=seen.message_id)
    got = sorted(f["message"]["message_id"] for f in world.frames(back, "chat.message"))
    assert got == sorted(m.message_id for m in missed)


def test_resume_of_a_conversation_not_yours_is_refused(world: World) -> None:
    cid = start(world)
    with pytest.raises(ConversationNotFoundError):
        service.resume("eve", "x", {cid: None})


# ---------- presence ----------
def test_the_conversation_view_shows_who_is_online_and_last_seen(world: World) -> None:
    from chalicelib.realtime import service as realtime

    cid = start(world)
    world.connect("shop", "seller-1")
    world.connect("phone", "ann")
    realtime.close_connection("phone")
    presence = {p.account_id: p for p in service.presence_of(service.attend("ann", cid))}
    assert presence["seller-1"].online is True
    assert presence["ann"].online is False
    assert presence["ann"].last_seen is not None


# ---------- images ----------
def png(width: int = 8, height: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def uploaded(world: World, media: Any, cid: str, data: bytes) -> str:
    grant = service.request_image_upload(SHOPPER, cid, "image/png", len(data))
    media.objects[grant.key] = data
    return grant.image_id


def test_an_image_message_is_checked_and_stored_as_a_rendition(
    world: World, media_objects: Any
) -> None:
    cid = start(world)
    image_id = uploaded(world, media_objects, cid, png(30, 20))
    sent = send("ann", cid, "i-1", "", image_id=image_id)
    assert sent.message.kind.value == "image"
    assert (sent.message.image.width, sent.message.image.height) == (30, 20)
    assert sent.message.image.key in media_objects.objects
    # And a resend of the same client id is the same message, though the upload is gone
    assert send("ann", cid, "i-1", "", image_id=image_id).message == sent.message


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"MZ\x90\x00 definitely not an image", "not an image"),
        (None, "decompression bomb"),
    ],
)
def test_a_non_image_or_a_bomb_is_refused_with_a_reason(
    world: World, media_objects: Any, data: bytes | None, reason: str
) -> None:
    from chalicelib.core.settings import get_settings

    cid = start(world)
    if data is None:  # a small PNG that claims more pixels than allowed
        side = int(get_settings().image_max_pixels ** 0.5) + 100
        data = bomb_png(side, side)
    image_id = uploaded(world, media_objects, cid, data)
    with pytest.raises(ImageRefusedError) as refused:
        send("ann", cid, "i-1", "", image_id=image_id)
    assert reason in refused.value.message
    assert world.chat.messages_after(cid, None, limit=5) == []


def test_an_image_never_uploaded_is_not_found(world: World, media_objects: Any) -> None:
    cid = start(world)
    with pytest.raises(NotFoundError):
        send("ann", cid, "i-1", "", image_id="abcdef")


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` with almost no data."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
