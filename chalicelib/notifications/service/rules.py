"""Event rules: which bus event notifies whom, with what. One function per event type.

Adding one: write a function that
takes the ``Incoming`` event and returns its ``Draft`` list, decorate it with
``@rule("<detail-type>")``, and add the type to ``NotificationsRule`` in
``infra/template.yaml``. Rules read ids from the event's data and ask the owning
capability's service for anything else (through ``directory``), never its tables.

Order events are in-app and WebSocket only: the shopper's receipts (paid, cancelled,
refunded, shipped, delivered, returns) are the orders' transactional emails
(``functions/order_emails.py``). The seller's "order paid, ready to fulfil" and "return
requested" are emailable (orders emails only the shopper), as are bans and a detected
session reuse (a banned account cannot read the app).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.core.errors import ValidationFailedError
from chalicelib.notifications.domain import Category, Draft
from chalicelib.notifications.service import directory
from chalicelib.realtime import service as realtime

PREVIEW_MAX = 140


@dataclass(frozen=True)
class Incoming:
    """A bus event as rules read it (the data is not validated against another
    capability's model: a rule reads the fields it needs)."""

    event_id: str
    detail_type: str
    source: str
    data: dict[str, Any]

    def text(self, name: str) -> str:
        """A required string field; ValidationFailedError if it is missing or empty."""
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value) or isinstance(value, dict):
            raise ValidationFailedError(
                f"{self.detail_type} event lacks {name}", details={"field": name}
            )
        return str(value)

    def optional(self, name: str) -> str | None:
        value = self.data.get(name)
        return None if value in (None, "") else str(value)

    def number(self, name: str, default: int = 0) -> int:
        value = self.data.get(name, default)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValidationFailedError(
                f"{self.detail_type} event has a bad {name}", details={"field": name}
            ) from None


Rule = Callable[[Incoming], list[Draft]]
RULES: dict[str, Rule] = {}


def rule(*detail_types: str) -> Callable[[Rule], Rule]:
    """Register ``function`` as the rule of each of ``detail_types`` (once each)."""

    def register(function: Rule) -> Rule:
        for detail_type in detail_types:
            if detail_type in RULES:
                raise ValueError(f"two notification rules for {detail_type!r}")
            RULES[detail_type] = function
        return function

    return register


def _money(amount: int, currency: str | None) -> str:
    return f"{amount / 100:.2f} {currency or ''}".strip()


def _order_link(order_id: str) -> str:
    return f"/orders/{order_id}"


def _to_staff(event: Incoming, shop_id: str, **fields: Any) -> list[Draft]:
    """The same notification to every account acting for the shop (its channels apply)."""
    return [
        Draft(receiver_id=account_id, shop_id=shop_id, creator=event.source, **fields)
        for account_id in directory.get().staff_of(shop_id)
    ]


def _to_admins(event: Incoming, **fields: Any) -> list[Draft]:
    return [
        Draft(receiver_id=account_id, category=Category.ALERTS, creator=event.source, **fields)
        for account_id in directory.get().admins()
    ]


# ---------- orders and payments ----------
@rule("order.created")
def order_created(event: Incoming) -> list[Draft]:
    order_id, shop_id = event.text("order_id"), event.text("shop_id")
    total = _money(event.number("total"), event.optional("currency"))
    return _to_staff(
        event,
        shop_id,
        category=Category.ORDERS,
        kind="order.created",
        title="New order",
        message=f"Order {order_id[:8]} ({total}) was placed; it is ready to fulfil once paid.",
        link=_order_link(order_id),
        subject_id=order_id,
        dedupe=f"order.created:{order_id}",
    )


@rule("order.paid")
def order_paid(event: Incoming) -> list[Draft]:
    order_id, shop_id = event.text("order_id"), event.text("shop_id")
    total = _money(event.number("total"), event.optional("currency"))
    common: dict[str, Any] = {
        "category": Category.ORDERS,
        "kind": "order.paid",
        "subject_id": order_id,
    }
    shopper = Draft(
        receiver_id=event.text("user_id"),
        creator=event.source,
        title="Order confirmed",
        message=f"We received your payment of {total} for order {order_id[:8]}.",
        link=_order_link(order_id),
        dedupe=f"order.paid:{order_id}",
        **common,
    )
    return [
        shopper,
        *_to_staff(
            event,
            shop_id,
            title="Order paid: ready to fulfil",
            message=f"Order {order_id[:8]} ({total}) is paid. Please prepare and ship it.",
            link=_order_link(order_id),
            dedupe=f"order.paid:{order_id}",
            emailable=True,  # the seller's new-order email (orders emails only shoppers)
            **common,
        ),
    ]


CANCEL_REASONS = {
    "OUT_OF_STOCK": "an item sold out",
    "PAYMENT_DECLINED": "the card was declined",
    "INSUFFICIENT_FUNDS": "the card has insufficient funds",
    "PAYMENT_FAILED": "the payment could not be processed",
    "PAYMENT_TIMEOUT": "the payment was not confirmed in time",
    "CANCELLED_BY_SHOPPER": "the shopper cancelled it",
    "CANCELLED_BY_SELLER": "the shop cancelled it",
}
# Cancellations that are the platform's failure, not the shopper's card: admins hear.
SAGA_FAILURES = {"PAYMENT_FAILED", "PAYMENT_TIMEOUT"}


@rule("order.cancelled")
def order_cancelled(event: Incoming) -> list[Draft]:
    order_id, shop_id = event.text("order_id"), event.text("shop_id")
    reason = event.text("reason")
    why = CANCEL_REASONS.get(reason, reason)
    refunded = event.number("refunded")
    common: dict[str, Any] = {
        "category": Category.ORDERS,
        "kind": "order.cancelled",
        "subject_id": order_id,
        "link": _order_link(order_id),
        "dedupe": f"order.cancelled:{order_id}",
    }
    drafts = [
        Draft(
            receiver_id=event.text("user_id"),
            creator=event.source,
            title="Order cancelled",
            message=f"Order {order_id[:8]} was cancelled because {why}."
            + (f" {_money(refunded, None)} is refunded." if refunded else ""),
            **common,
        )
    ]
    # The seller hears when it concerns them: money was taken (now refunded), or a
    # shopper or the shop itself cancelled; a refused card before payment does not.
    if refunded or reason in ("CANCELLED_BY_SHOPPER", "CANCELLED_BY_SELLER"):
        drafts += _to_staff(
            event,
            shop_id,
            title="Order cancelled",
            message=f"Order {order_id[:8]} was cancelled: {why}. Do not ship it.",
            **common,
        )
    if reason in SAGA_FAILURES:
        drafts += _to_admins(
            event,
            kind="alert.checkout_failed",
            title="Checkout failed on our side",
            message=f"Order {order_id[:8]} was cancelled by the checkout saga: {why} ({reason}).",
            link=f"/admin/orders/{order_id}",
            subject_id=order_id,
            dedupe=f"alert.checkout_failed:{order_id}",
        )
    return drafts


@rule("order.refunded")
def order_refunded(event: Incoming) -> list[Draft]:
    order_id, shop_id = event.text("order_id"), event.text("shop_id")
    amount = _money(event.number("amount"), event.optional("currency"))
    common: dict[str, Any] = {
        "category": Category.ORDERS,
        "kind": "order.refunded",
        "subject_id": order_id,
        "link": _order_link(order_id),
        "dedupe": f"order.refunded:{order_id}",
    }
    shopper = Draft(
        receiver_id=event.text("user_id"),
        creator=event.source,
        title="Refund issued",
        message=f"We refunded {amount} for order {order_id[:8]}.",
        **common,
    )
    return [
        shopper,
        *_to_staff(
            event,
            shop_id,
            title="Order refunded",
            message=f"Order {order_id[:8]} was refunded ({amount}) by an admin.",
            **common,
        ),
    ]


@rule("payment.failed")
def payment_failed(event: Incoming) -> list[Draft]:
    checkout_id = event.text("checkout_id")
    code = event.text("failure_code")
    return [
        Draft(
            receiver_id=event.text("user_id"),
            creator=event.source,
            category=Category.ORDERS,
            kind="payment.failed",
            title="Payment failed",
            message=f"Your payment was refused ({code}). Your cart is kept: try another card.",
            link="/cart",
            subject_id=checkout_id,
            dedupe=f"payment.failed:{event.text('payment_id')}",
        )
    ]


# ---------- fulfilment (shipping, delivery, returns) ----------
@rule("order.shipped")
def order_shipped(event: Incoming) -> list[Draft]:
    order_id = event.text("order_id")
    carrier = event.optional("carrier") or "the carrier"
    tracking = event.optional("tracking_number")
    return [
        Draft(
            receiver_id=event.text("shopper_id"),
            creator=event.source,
            category=Category.ORDERS,
            kind="order.shipped",
            title="Order shipped",
            message=f"Order {order_id[:8]} is on its way with {carrier}"
            + (f" (tracking {tracking})." if tracking else "."),
            link=event.optional("tracking_url") or _order_link(order_id),
            subject_id=order_id,
            dedupe=f"order.shipped:{order_id}",
        )
    ]


@rule("order.delivered")
def order_delivered(event: Incoming) -> list[Draft]:
    order_id, shop_id = event.text("order_id"), event.text("shop_id")
    common: dict[str, Any] = {
        "category": Category.ORDERS,
        "kind": "order.delivered",
        "subject_id": order_id,
        "link": _order_link(order_id),
        "dedupe": f"order.delivered:{order_id}",
    }
    shopper = Draft(
        receiver_id=event.text("shopper_id"),
        creator=event.source,
        title="Order delivered",
        message=f"Order {order_id[:8]} was delivered. Enjoy, and tell others what you think.",
        **common,
    )
    return [
        shopper,
        *_to_staff(
            event,
            shop_id,
            title="Order delivered",
            message=f"Order {order_id[:8]} arrived.",
            **common,
        ),
    ]


@rule("return.requested")
def return_requested(event: Incoming) -> list[Draft]:
    return_id, order_id = event.text("return_id"), event.text("order_id")
    reason = (event.optional("reason") or "")[:200]
    return _to_staff(
        event,
        event.text("shop_id"),
        category=Category.ORDERS,
        kind="return.requested",
        title="Return requested",
        message=f"A return of order {order_id[:8]} was requested"
        + (f": {reason}" if reason else ".")
        + " Please approve or refuse it.",
        link=_order_link(order_id),
        subject_id=return_id,
        dedupe=f"return.requested:{return_id}",
        emailable=True,  # the seller must act; orders emails only the shopper
    )


@rule("return.decided")
def return_decided(event: Incoming) -> list[Draft]:
    return_id, order_id = event.text("return_id"), event.text("order_id")
    approved = bool(event.data.get("approved"))
    if approved:
        amount = _money(event.number("refund_amount"), event.optional("currency"))
        message = f"Your return of order {order_id[:8]} was approved; {amount} will be refunded."
    else:
        reason = (event.optional("reason") or "no reason given")[:200]
        message = f"Your return of order {order_id[:8]} was refused: {reason}."
    return [
        Draft(
            receiver_id=event.text("shopper_id"),
            creator=event.source,
            category=Category.ORDERS,
            kind="return.decided",
            title="Return approved" if approved else "Return refused",
            message=message,
            link=_order_link(order_id),
            subject_id=return_id,
            dedupe=f"return.decided:{return_id}",
        )
    ]


# ---------- stock ----------
@rule("stock.low")
def stock_low(event: Incoming) -> list[Draft]:
    product_id = event.text("product_id")
    stock, threshold = event.number("stock"), event.number("threshold")
    return _to_staff(
        event,
        event.text("shop_id"),
        category=Category.ORDERS,
        kind="stock.low",
        title="Low stock" if stock else "Out of stock",
        message=f"Product {product_id[:8]} has {stock} left (your threshold is {threshold}).",
        link=f"/products/{product_id}",
        subject_id=product_id,
        dedupe=f"stock.low:{event.event_id}",  # each fall below the threshold is news
    )


# ---------- accounts and admin alerts ----------
@rule("account.banned")
def account_banned(event: Incoming) -> list[Draft]:
    reason = (event.optional("reason") or "")[:300]
    return [
        Draft(
            receiver_id=event.text("account_id"),
            creator=event.source,
            category=Category.ACCOUNT,
            kind="account.banned",
            title="Your account was suspended",
            message="An administrator suspended your account"
            + (f": {reason}" if reason else ".")
            + " Reply to this email to appeal.",
            dedupe=f"account.banned:{event.event_id}",
            emailable=True,  # a banned account cannot sign in to read it
        )
    ]


@rule("account.unbanned")
def account_unbanned(event: Incoming) -> list[Draft]:
    return [
        Draft(
            receiver_id=event.text("account_id"),
            creator=event.source,
            category=Category.ACCOUNT,
            kind="account.unbanned",
            title="Your account is active again",
            message="An administrator lifted the suspension: you can sign in again.",
            dedupe=f"account.unbanned:{event.event_id}",
            emailable=True,
        )
    ]


@rule("account.session_reuse_detected")
def session_reuse_detected(event: Incoming) -> list[Draft]:
    account_id, session_id = event.text("account_id"), event.text("session_id")
    owner = Draft(
        receiver_id=account_id,
        creator=event.source,
        category=Category.ACCOUNT,
        kind="account.session_reuse_detected",
        title="We signed you out of one session",
        message="A sign-in token was used twice, which can mean someone copied it. We ended "
        "that session; change your password if it was not you.",
        subject_id=session_id,
        dedupe=f"session_reuse:{session_id}",
        emailable=True,
    )
    return [
        owner,
        *_to_admins(
            event,
            kind="alert.session_reuse_detected",
            title="Refresh token reuse detected",
            message=f"Account {account_id[:8]} presented an old refresh token; session "
            f"{session_id[:8]} was revoked.",
            link=f"/admin/accounts/{account_id}",
            subject_id=account_id,
            dedupe=f"alert.session_reuse:{session_id}",
        ),
    ]


# ---------- chat while offline ----------
@rule("chat.message.sent")
def chat_message_sent(event: Incoming) -> list[Draft]:
    """A chat notification for each recipient with no open connection right now; it joins
    the email digest if still unread after the delay."""
    conversation_id, message_id = event.text("conversation_id"), event.text("message_id")
    recipients = event.data.get("recipient_ids")
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise ValidationFailedError("chat.message.sent needs recipient_ids: list[str]")
    shopper_id, shop_id = event.text("shopper_id"), event.text("shop_id")
    preview = (event.optional("preview") or "")[:PREVIEW_MAX]
    kind = event.optional("kind") or "text"
    drafts = []
    for recipient in dict.fromkeys(recipients):
        if realtime.is_online(recipient):
            continue  # the chat itself delivers it live
        to_shop = recipient != shopper_id
        drafts.append(
            Draft(
                receiver_id=recipient,
                creator=event.text("sender_id"),
                category=Category.CHAT,
                kind="chat.message",
                title="New message from a shopper" if to_shop else "New message from the shop",
                message=preview if kind == "text" and preview else f"[{kind}] {preview}".strip(),
                link=f"/chat/{conversation_id}",
                subject_id=message_id,
                thread_id=conversation_id,
                shop_id=shop_id if to_shop else None,
                dedupe=f"chat:{message_id}",
                emailable=True,
                digest=True,
            )
        )
    return drafts


@rule("chat.read")
def chat_read(event: Incoming) -> list[Draft]:
    """The reader saw the conversation up to a message: its chat notifications of that
    conversation up to there are read (and leave the digest)."""
    from chalicelib.notifications.service import inbox

    inbox.mark_thread_read(
        event.text("reader_id"), event.text("conversation_id"), event.text("up_to_message_id")
    )
    return []


# ---------- bill posts ----------
BILL_OUTCOMES = {
    "VERIFIED": ("Your bill is verified", "Your bill post passed its checks and is in the feed."),
    "REJECTED": ("Your bill was not accepted", "Your bill post did not pass its checks"),
    "NEEDS_REVIEW": (
        "Your bill is being reviewed",
        "Your bill post needs a person's look; the shop or an admin will decide.",
    ),
}


@rule("post.status_changed")
def post_status_changed(event: Incoming) -> list[Draft]:
    """The shopper hears each decision on their bill post; the shop's staff hear of a post
    waiting for their decision."""
    post_id, status = event.text("post_id"), event.text("status")
    if status not in BILL_OUTCOMES:  # PROCESSING, FAILED: nothing the shopper acts on
        return []
    title, message = BILL_OUTCOMES[status]
    reason = (event.optional("reason") or "")[:300]
    if status == "REJECTED":
        message += f": {reason}" if reason else "."
    link = f"/bills/posts/{post_id}"
    drafts = [
        Draft(
            receiver_id=event.text("shopper_id"),
            creator=event.source,
            category=Category.BILLS,
            kind=f"post.{status.lower()}",
            title=title,
            message=message,
            link=link,
            subject_id=post_id,
            dedupe=f"post.status_changed:{post_id}:{status}",
        )
    ]
    shop_id = event.optional("shop_id")
    if status == "NEEDS_REVIEW" and shop_id:
        drafts += _to_staff(
            event,
            shop_id,
            category=Category.BILLS,
            kind="post.needs_review",
            title="A bill post waits for your decision",
            message=f"Bill post {post_id[:8]} needs a review before it is published.",
            link=link,
            subject_id=post_id,
            dedupe=f"post.needs_review:{post_id}",
        )
    return drafts


# ---------- reviews ----------
def _stars(rating: int) -> str:
    return f"{rating}/5"


@rule("review.created")
def review_created(event: Incoming) -> list[Draft]:
    """The reviewed shop's staff hear of each new review (once per review)."""
    review_id, shop_id = event.text("review_id"), event.text("shop_id")
    title = (event.optional("title") or "")[:PREVIEW_MAX]
    about = "your shop" if event.optional("product_id") is None else "a product"
    return _to_staff(
        event,
        shop_id,
        category=Category.REVIEWS,
        kind="review.created",
        title=f"New review: {_stars(event.number('rating'))}",
        message=f"A shopper reviewed {about}" + (f': "{title}"' if title else "."),
        link=f"/reviews/{review_id}",
        subject_id=review_id,
        dedupe=f"review.created:{review_id}",
    )


@rule("review.replied")
def review_replied(event: Incoming) -> list[Draft]:
    """The review's author hears of the shop's reply, and of each edit of it (once each:
    the reply's ``reply_updated_at`` tells an edit from a redelivery)."""
    review_id = event.text("review_id")
    return [
        Draft(
            receiver_id=event.text("author_id"),
            creator=event.text("replied_by"),
            category=Category.REVIEWS,
            kind="review.replied",
            title="The shop replied to your review",
            message="The shop answered your review. Read its reply.",
            link=f"/reviews/{review_id}",
            subject_id=review_id,
            dedupe=f"review.replied:{review_id}:{event.text('reply_updated_at')}",
        )
    ]
