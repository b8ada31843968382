"""Notification use cases on fakes (no AWS): rules, delivery once, channels, the digest."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import NotFoundError, ValidationFailedError
from chalicelib.notifications.domain import Category, Channel
from chalicelib.notifications.service import deliver, digest, inbox
from chalicelib.notifications.service.rules import RULES, Incoming
from tests.fakes.notifications import FakeDirectory, InMemoryNotifications
from tests.unit.notifications.conftest import ADMIN, SELLER, SHOP, SHOPPER, Outbox, Sockets

pytestmark = pytest.mark.usefixtures("repo", "people", "sockets", "outbox")


def event(detail_type: str, event_id: str | None = None, **data: Any) -> Incoming:
    source = "bazaar.chat" if detail_type.startswith("chat.") else "bazaar.orders"
    return Incoming(event_id or str(uuid.uuid4()), detail_type, source, data)


def order_paid(**changes: Any) -> Incoming:
    data = {
        "order_id": "order-0001",
        "checkout_id": "co-1",
        "user_id": SHOPPER,
        "shop_id": SHOP,
        "total": 6998,
        "currency": "USD",
    }
    return event("order.paid", **{**data, **changes})


def me(account_id: str) -> Caller:
    return Caller(account_id, Role.USER)


def chat(message_id: str, recipients: list[str], **changes: Any) -> Incoming:
    data = {
        "conversation_id": "conv-1",
        "message_id": message_id,
        "shop_id": SHOP,
        "shopper_id": SHOPPER,
        "sender_id": SELLER,
        "recipient_ids": recipients,
        "kind": "text",
        "preview": f"hello {message_id}",
        "sent_at": "2026-11-28T10:00:00+00:00",
    }
    return event("chat.message.sent", **{**data, **changes})


def test_an_order_paid_event_notifies_the_shopper_and_the_shops_staff_live(
    sockets: Sockets, outbox: Outbox
) -> None:
    # Given the shopper with two connections and the seller with one
    phone, browser = sockets.open(SHOPPER), sockets.open(SHOPPER)
    seller = sockets.open(SELLER)
    # When the order is paid
    result = deliver.handle(order_paid())
    # Then both are notified, stored as unread and pushed to every connection
    assert result["delivered"] == 2
    for connection in (phone, browser, seller):
        [frame] = sockets.frames(connection)
        assert frame["type"] == "notification"
    assert sockets.frames(phone)[0]["notification"]["title"] == "Order confirmed"  # type: ignore[index]
    assert inbox.unread_count(me(SHOPPER)) == (1, False)
    assert inbox.unread_count(me(SELLER)) == (1, False)
    # and nobody is emailed: the shopper's receipt is the orders' email, and the shop's
    # channels default to the app and the WebSocket
    assert outbox.single == []


def test_a_duplicate_event_makes_one_notification_and_one_push(sockets: Sockets) -> None:
    # Given a shopper online
    phone = sockets.open(SHOPPER)
    # When order.paid arrives twice, the second time re-published with a new event id
    deliver.handle(order_paid())
    again = deliver.handle(order_paid())
    # Then one notification and one push
    assert again["duplicate"] == 2
    assert len(sockets.frames(phone)) == 1
    assert len(inbox.list_mine(me(SHOPPER), unread_only=False, limit=10, cursor=None).items) == 1


def test_a_muted_category_is_neither_stored_pushed_nor_emailed(
    sockets: Sockets, outbox: Outbox
) -> None:
    # Given a seller who turned off every channel for orders
    seller = sockets.open(SELLER)
    inbox.update_preferences(
        me(SELLER),
        {Category.ORDERS: {Channel.IN_APP: False, Channel.WEBSOCKET: False, Channel.EMAIL: False}},
    )
    # When an order is paid
    result = deliver.handle(order_paid())
    # Then the seller gets nothing (the shopper still does)
    assert result["muted"] == 1
    assert sockets.frames(seller) == []
    assert outbox.single == []
    assert inbox.unread_count(me(SELLER)) == (0, False)


def test_push_only_pushes_without_listing(sockets: Sockets) -> None:
    # Given a shopper who wants orders pushed live but not kept in the list
    phone = sockets.open(SHOPPER)
    inbox.update_preferences(me(SHOPPER), {Category.ORDERS: {Channel.IN_APP: False}})
    # When an order is paid (twice)
    deliver.handle(order_paid())
    deliver.handle(order_paid())
    # Then it is pushed once and not listed
    assert len(sockets.frames(phone)) == 1
    assert inbox.unread_count(me(SHOPPER)) == (0, False)


def test_the_shops_channel_settings_apply_to_its_staff(
    people: FakeDirectory, sockets: Sockets, outbox: Outbox
) -> None:
    # Given a shop whose channels are the app only
    people.channels[SHOP] = ("app",)
    seller = sockets.open(SELLER)
    # When an order is paid
    deliver.handle(order_paid())
    # Then the seller finds it in the app, but it is neither pushed nor emailed
    assert inbox.unread_count(me(SELLER)) == (1, False)
    assert sockets.frames(seller) == []
    assert outbox.single == []


def test_a_shop_with_email_on_emails_its_staff_unless_they_opted_out(
    people: FakeDirectory, outbox: Outbox
) -> None:
    people.channels[SHOP] = ("app", "websocket", "email")
    deliver.handle(order_paid(order_id="order-a"))
    inbox.update_preferences(me(SELLER), {Category.ORDERS: {Channel.EMAIL: False}})
    deliver.handle(order_paid(order_id="order-b"))
    assert [n.subject_id for _, n in outbox.single] == ["order-a"]


def test_order_created_and_stock_low_reach_the_seller_only() -> None:
    deliver.handle(event("order.created", order_id="o-9", shop_id=SHOP, user_id=SHOPPER, total=100))
    deliver.handle(event("stock.low", product_id="p-1", shop_id=SHOP, stock=2, threshold=5))
    kinds = [
        n.kind for n in inbox.list_mine(me(SELLER), unread_only=True, limit=10, cursor=None).items
    ]
    assert kinds == ["stock.low", "order.created"]
    assert inbox.unread_count(me(SHOPPER)) == (0, False)


def test_a_cancellation_by_the_saga_alerts_admins_and_a_declined_card_not_the_seller() -> None:
    deliver.handle(
        event(
            "order.cancelled",
            order_id="o-1",
            checkout_id="c",
            user_id=SHOPPER,
            shop_id=SHOP,
            reason="PAYMENT_DECLINED",
            refunded=0,
        )
    )
    assert inbox.unread_count(me(SELLER)) == (0, False)
    assert inbox.unread_count(me(ADMIN)) == (0, False)
    deliver.handle(
        event(
            "order.cancelled",
            order_id="o-2",
            checkout_id="c",
            user_id=SHOPPER,
            shop_id=SHOP,
            reason="PAYMENT_TIMEOUT",
            refunded=0,
        )
    )
    [alert] = inbox.list_mine(me(ADMIN), unread_only=True, limit=10, cursor=None).items
    assert alert.category is Category.ALERTS
    assert inbox.unread_count(me(SHOPPER)) == (2, False)


def test_fulfilment_events_notify_the_shopper_and_returns_the_seller(
    people: FakeDirectory, outbox: Outbox
) -> None:
    people.channels[SHOP] = ("app", "websocket", "email")
    common = {"order_id": "o-5", "shop_id": SHOP, "shopper_id": SHOPPER}
    deliver.handle(
        event(
            "order.shipped",
            **common,
            carrier="DHL",
            tracking_number="TN1",
            tracking_url="https://track.example/TN1",
            shipped_at="2026-11-28T10:00:00+00:00",
        )
    )
    deliver.handle(event("order.delivered", **common, delivered_at="2026-11-29T10:00:00+00:00"))
    deliver.handle(event("return.requested", **common, return_id="r-1", reason="too small"))
    deliver.handle(
        event(
            "return.decided",
            **common,
            return_id="r-1",
            approved=True,
            reason=None,
            refund_amount=500,
            currency="USD",
        )
    )
    shopper = inbox.list_mine(me(SHOPPER), unread_only=False, limit=10, cursor=None).items
    assert [n.kind for n in shopper] == ["return.decided", "order.delivered", "order.shipped"]
    assert shopper[2].link == "https://track.example/TN1"
    seller = inbox.list_mine(me(SELLER), unread_only=False, limit=10, cursor=None).items
    assert [n.kind for n in seller] == ["return.requested", "order.delivered"]
    assert [(to, n.kind) for to, n in outbox.single] == [("seller@example.com", "return.requested")]


def test_bans_are_emailed_and_session_reuse_alerts_admins(outbox: Outbox) -> None:
    deliver.handle(event("account.banned", account_id=SHOPPER, actor_id=ADMIN, reason="spam"))
    deliver.handle(event("account.session_reuse_detected", account_id=SELLER, session_id="s-1"))
    assert [(to, n.kind) for to, n in outbox.single] == [
        ("shopper@example.com", "account.banned"),
        ("seller@example.com", "account.session_reuse_detected"),
    ]
    [alert] = inbox.list_mine(me(ADMIN), unread_only=False, limit=5, cursor=None).items
    assert alert.kind == "alert.session_reuse_detected"


def test_an_event_without_its_receiver_is_refused() -> None:
    with pytest.raises(ValidationFailedError):
        deliver.handle(event("order.paid", order_id="o", shop_id=SHOP))


def test_an_event_type_without_a_rule_is_skipped() -> None:
    assert deliver.handle(event("product.updated", product_id="p"))["skipped"] is True


def test_adding_a_rule_is_one_function(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.notifications.domain import Draft
    from chalicelib.notifications.service import rules

    monkeypatch.setattr(rules, "RULES", dict(RULES))

    @rules.rule("wishlist.price_dropped")
    def price_dropped(e: Incoming) -> list[Draft]:
        return [
            Draft(
                receiver_id=e.text("author_id"),
                category=Category.ORDERS,
                kind="wishlist.price_dropped",
                title="A product you wish for is cheaper",
                message=e.text("preview"),
                dedupe=f"price_dropped:{e.text('reply_id')}",
            )
        ]

    monkeypatch.setattr(deliver, "RULES", rules.RULES)
    deliver.handle(
        event("wishlist.price_dropped", author_id=SHOPPER, preview="Thanks!", reply_id="r")
    )
    assert inbox.unread_count(me(SHOPPER)) == (1, False)


# ---------- chat while offline, and the digest ----------
def test_chat_notifies_only_recipients_without_an_open_connection(sockets: Sockets) -> None:
    sockets.open(SELLER)
    deliver.handle(chat("m-001", [SELLER], sender_id=SHOPPER))
    assert inbox.unread_count(me(SELLER)) == (0, False)
    deliver.handle(chat("m-002", [SHOPPER]))
    deliver.handle(chat("m-002", [SHOPPER]))  # redelivered
    [note] = inbox.list_mine(me(SHOPPER), unread_only=True, limit=10, cursor=None).items
    assert note.category is Category.CHAT
    assert note.message == "hello m-002"
    assert note.link == "/chat/conv-1"


def test_chat_read_marks_that_conversations_notifications_read_up_to_the_message() -> None:
    for message_id in ("m-001", "m-002", "m-003"):
        deliver.handle(chat(message_id, [SHOPPER]))
    deliver.handle(chat("m-004", [SHOPPER], conversation_id="conv-2"))
    deliver.handle(
        event(
            "chat.read",
            conversation_id="conv-1",
            reader_id=SHOPPER,
            up_to_message_id="m-002",
            read_at="2026-11-28T10:00:00+00:00",
        )
    )
    unread = inbox.list_mine(me(SHOPPER), unread_only=True, limit=10, cursor=None).items
    assert sorted(n.subject_id or "" for n in unread) == ["m-003", "m-004"]


def test_the_digest_sends_one_email_for_several_messages_once(
    outbox: Outbox, manual_clock: clock.ManualClock
) -> None:
    # Given three chat messages to an offline shopper
    for message_id in ("m-001", "m-002", "m-003"):
        deliver.handle(chat(message_id, [SHOPPER]))
    # When the digest runs before the delay: nothing
    assert digest.send_digests()["emails"] == 0
    # When it runs after the delay
    manual_clock.advance(seconds=901)
    result = digest.send_digests()
    # Then one email lists the three; a later run sends nothing more
    assert result["emails"] == 1
    [(to, listed)] = outbox.digests
    assert to == "shopper@example.com"
    assert sorted(n.subject_id or "" for n in listed) == ["m-001", "m-002", "m-003"]
    assert digest.send_digests()["emails"] == 0
    # and the notifications stay unread in the app
    assert inbox.unread_count(me(SHOPPER)) == (3, False)


def test_the_digest_leaves_out_read_ones_and_respects_the_chat_email_choice(
    outbox: Outbox, manual_clock: clock.ManualClock
) -> None:
    deliver.handle(chat("m-001", [SHOPPER]))
    deliver.handle(chat("m-002", [SHOPPER]))
    deliver.handle(
        event("chat.read", conversation_id="conv-1", reader_id=SHOPPER, up_to_message_id="m-001")
    )
    deliver.handle(chat("m-003", [SELLER], sender_id=SHOPPER))  # the shop: app+websocket only
    manual_clock.advance(seconds=901)
    digest.send_digests()
    [(_, listed)] = outbox.digests
    assert [n.subject_id for n in listed] == ["m-002"]
    # A receiver who turned chat email off gets no digest
    deliver.handle(chat("m-004", [SHOPPER]))
    inbox.update_preferences(me(SHOPPER), {Category.CHAT: {Channel.EMAIL: False}})
    manual_clock.advance(seconds=901)
    assert digest.send_digests()["muted"] == 1
    assert len(outbox.digests) == 1


def test_a_failed_digest_email_is_retried_next_run(
    outbox: Outbox, manual_clock: clock.ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core.errors import DependencyUnavailableError
    from chalicelib.notifications import mailer

    deliver.handle(chat("m-001", [SHOPPER]))
    manual_clock.advance(seconds=901)
    working = mailer.send_chat_digest

    def broken(notifications: Any, *, to: str) -> str:
        raise DependencyUnavailableError("SES down")

    monkeypatch.setattr(mailer, "send_chat_digest", broken)
    assert digest.send_digests()["failed"] == 1
    monkeypatch.setattr(mailer, "send_chat_digest", working)
    assert digest.send_digests()["emails"] == 1


# ---------- the inbox ----------
def test_mark_one_and_all_read(repo: InMemoryNotifications) -> None:
    for n in range(3):
        deliver.handle(order_paid(order_id=f"order-{n}"))
    first, *_ = inbox.list_mine(me(SHOPPER), unread_only=True, limit=10, cursor=None).items
    assert inbox.mark_read(me(SHOPPER), first.notification_id).read is True
    assert inbox.unread_count(me(SHOPPER)) == (2, False)
    with pytest.raises(NotFoundError):
        inbox.mark_read(me(SELLER), first.notification_id)  # not theirs
    with pytest.raises(NotFoundError):
        inbox.mark_read(me(SHOPPER), "nonsense")
    assert inbox.mark_all_read(me(SHOPPER)) == (2, False)
    assert inbox.unread_count(me(SHOPPER)) == (0, False)


def test_mark_all_read_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAZAAR_MARK_ALL_READ_MAX", "2")
    from chalicelib.core.settings import reset_settings

    reset_settings()
    try:
        for n in range(3):
            deliver.handle(order_paid(order_id=f"order-{n}"))
        assert inbox.mark_all_read(me(SHOPPER)) == (2, True)
        assert inbox.mark_all_read(me(SHOPPER)) == (1, False)
    finally:
        monkeypatch.delenv("BAZAAR_MARK_ALL_READ_MAX")
        reset_settings()


def test_pages_are_newest_first_with_a_cursor(manual_clock: clock.ManualClock) -> None:
    for n in range(5):
        deliver.handle(order_paid(order_id=f"order-{n}"))
        manual_clock.advance(seconds=1)
    first = inbox.list_mine(me(SHOPPER), unread_only=False, limit=3, cursor=None)
    second = inbox.list_mine(me(SHOPPER), unread_only=False, limit=3, cursor=first.next_cursor)
    ids = [n.subject_id for n in first.items + second.items]
    assert ids == [f"order-{n}" for n in (4, 3, 2, 1, 0)]
    assert second.next_cursor is None


def test_preferences_have_defaults_and_change_only_what_is_given() -> None:
    full = inbox.preferences(me(SHOPPER)).full()
    assert full[Category.ORDERS] == {
        Channel.IN_APP: True,
        Channel.WEBSOCKET: True,
        Channel.EMAIL: True,
    }
    assert full[Category.ALERTS][Channel.EMAIL] is False
    changed = inbox.update_preferences(me(SHOPPER), {Category.CHAT: {Channel.EMAIL: False}})
    assert changed.allows(Category.CHAT, Channel.EMAIL) is False
    assert changed.allows(Category.CHAT, Channel.WEBSOCKET) is True


def post_status(status: str, **changes: Any) -> Incoming:
    data = {
        "post_id": "post-0001",
        "shopper_id": SHOPPER,
        "shop_id": SHOP,
        "status": status,
        "previous_status": "PROCESSING",
        "reason": None,
        "decided_by": None,
    }
    return Incoming(str(uuid.uuid4()), "post.status_changed", "bazaar.bills", {**data, **changes})


def test_a_bill_decision_reaches_the_shopper_once_and_a_review_the_shops_staff() -> None:
    # Given a bill post that went to review, then was rejected (each event delivered twice)
    for status, reason in (("PROCESSING", None), ("NEEDS_REVIEW", None), ("REJECTED", "edited")):
        for _ in range(2):
            deliver.handle(post_status(status, reason=reason))
    # Then the shopper has one notification per decision, newest first, with the reason
    mine = inbox.list_mine(me(SHOPPER), unread_only=True, limit=10, cursor=None).items
    assert [n.kind for n in mine] == ["post.rejected", "post.needs_review"]
    assert mine[0].message.endswith(": edited")
    assert {n.category for n in mine} == {Category.BILLS}
    # And the shop's seller one, to decide the review
    staff = inbox.list_mine(me(SELLER), unread_only=True, limit=10, cursor=None).items
    assert [n.kind for n in staff] == ["post.needs_review"]


def review_event(detail_type: str, **changes: Any) -> Incoming:
    data = {
        "review_id": "review-0001",
        "product_id": "product-1",
        "shop_id": SHOP,
        "seller_id": SELLER,
        "author_id": SHOPPER,
        "rating": 2,
        "revision": 1,
        "status": "PUBLISHED",
        "title": "Runs small",
    }
    return Incoming(str(uuid.uuid4()), detail_type, "bazaar.reviews", {**data, **changes})


def test_a_new_review_reaches_the_shops_staff_once_and_a_reply_its_author_once_per_edit(
    sockets: Sockets,
) -> None:
    # Given the seller online
    seller = sockets.open(SELLER)
    # When a review is created and its event delivered twice
    for _ in range(2):
        deliver.handle(review_event("review.created"))
    # Then the shop's seller has one notification about it, pushed once
    staff = inbox.list_mine(me(SELLER), unread_only=True, limit=10, cursor=None).items
    assert [(n.kind, n.category, n.link) for n in staff] == [
        ("review.created", Category.REVIEWS, "/reviews/review-0001")
    ]
    assert staff[0].title == "New review: 2/5"
    assert "Runs small" in staff[0].message
    assert len(sockets.frames(seller)) == 1
    # And the author is not notified of their own review
    assert inbox.list_mine(me(SHOPPER), unread_only=False, limit=10, cursor=None).items == []
    # When the shop replies (delivered twice), then edits its reply
    first = "2026-11-28T11:00:00.000000+00:00"
    for _ in range(2):
        deliver.handle(review_event("review.replied", replied_by=SELLER, reply_updated_at=first))
    deliver.handle(
        review_event(
            "review.replied", replied_by=SELLER, reply_updated_at="2026-11-28T12:00:00+00:00"
        )
    )
    # Then the author has one notification per version of the reply, and the seller none
    mine = inbox.list_mine(me(SHOPPER), unread_only=True, limit=10, cursor=None).items
    assert [n.kind for n in mine] == ["review.replied", "review.replied"]
    assert {n.creator for n in mine} == {SELLER}
    assert len(inbox.list_mine(me(SELLER), unread_only=False, limit=10, cursor=None).items) == 1


def test_a_review_event_without_its_receiver_is_refused() -> None:
    with pytest.raises(ValidationFailedError):
        deliver.handle(review_event("review.replied", replied_by=SELLER))  # no reply time
    with pytest.raises(ValidationFailedError):
        deliver.handle(review_event("review.created", shop_id=""))


def test_every_rule_is_routed_to_the_notifications_queue() -> None:
    # The bus delivers only what NotificationsRule's pattern names: a rule whose event
    # type is missing there would never run.
    from localcloud.template import load_template

    template = load_template()
    pattern = template["Resources"]["NotificationsRule"]["Properties"]["EventPattern"]
    assert set(RULES) <= set(pattern["detail-type"])
