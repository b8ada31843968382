"""The shopper's order emails (paid, shipped, delivered, cancelled, refunded, return
decided), sent through core.mail."""

from __future__ import annotations

import html
from typing import Any

from chalicelib.core import mail
from chalicelib.core.errors import NotFoundError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.orders import repository

REASONS = {
    "OUT_OF_STOCK": "an item sold out before we could reserve it",
    "PAYMENT_DECLINED": "your card was declined",
    "INSUFFICIENT_FUNDS": "your card has insufficient funds",
    "PAYMENT_FAILED": "the payment could not be processed",
    "PAYMENT_TIMEOUT": "the payment was not confirmed in time",
    "CANCELLED_BY_SHOPPER": "you cancelled it",
    "CANCELLED_BY_SELLER": "the shop cancelled it",
}


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency}"


def render(detail_type: str, data: dict[str, Any], to: str) -> mail.Email:
    """The email for an order event."""
    order = repository.get().get_order(str(data["order_id"]))
    app_name = get_settings().mail_sender_name
    lines = "\n".join(
        f"  {line.quantity} x {line.title}  {_money(line.unit_price, order.currency)}"
        for line in order.lines
    )
    total = _money(order.total, order.currency)
    if detail_type == "order.paid":
        subject = f"{app_name}: order {order.order_id[:8]} is confirmed"
        intro = f"Thank you! We received your payment of {total}."
    elif detail_type == "order.shipped":
        subject = f"{app_name}: order {order.order_id[:8]} is on its way"
        intro = (
            f"Your order was shipped with {data['carrier']}, tracking number "
            f"{data['tracking_number']}."
        )
        if data.get("tracking_url"):
            intro += f" Track it at {data['tracking_url']}"
    elif detail_type == "order.delivered":
        subject = f"{app_name}: order {order.order_id[:8]} was delivered"
        intro = "Your order was delivered. Not right? You can ask to return it from your orders."
    elif detail_type == "order.refunded":
        amount = _money(int(data.get("amount") or order.refunded), order.currency)
        if data.get("return_id"):
            subject = f"{app_name}: your return for order {order.order_id[:8]} was refunded"
            intro = f"Your return was approved: we refunded {amount} to your card."
        else:
            subject = f"{app_name}: order {order.order_id[:8]} was refunded"
            intro = f"We refunded {amount} to your card for this order."
        if data.get("total_refunded") is not None and int(data["total_refunded"]) != int(
            data.get("amount") or 0
        ):
            intro += f" In all, {_money(int(data['total_refunded']), order.currency)} of it."
    elif detail_type == "return.decided":
        subject = f"{app_name}: your return for order {order.order_id[:8]} was refused"
        intro = f"The shop refused your return: {data.get('reason') or 'no reason given'}."
    else:
        reason = str(data.get("reason") or order.reason or "")
        subject = f"{app_name}: order {order.order_id[:8]} was cancelled"
        intro = f"Your order was cancelled because {REASONS.get(reason, reason)} ({reason})."
        if int(data.get("refunded") or 0):
            intro += f" {_money(int(data['refunded']), order.currency)} is refunded to your card."
    text = f"{intro}\n\nOrder {order.order_id}\n{lines}\nTotal: {total}\n"
    page = f"<p>{html.escape(intro)}</p><pre>{html.escape(lines)}</pre><p>Total: {total}</p>"
    return mail.Email(to=to, subject=subject, text=text, html=page)


def email_for_event(detail_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Send the email an order event calls for (paid, shipped, delivered, cancelled,
    refunded, a refused return) to the shopper who checked out. An approved return is
    told by its ``order.refunded`` email (one email per outcome)."""
    if detail_type == "return.decided" and data.get("approved"):
        return {"order_id": data["order_id"], "skipped": True}
    try:
        repo = repository.get()
        order = repo.get_order(str(data["order_id"]))
        checkout = repo.get_checkout(order.checkout_id)
        email = render(detail_type, data, checkout.email)
    except NotFoundError:
        logger.warning("Order email skipped: the order no longer exists")
        return {"order_id": data["order_id"], "skipped": True}
    message_id = mail.send(email)
    return {"order_id": data["order_id"], "message_id": message_id}
