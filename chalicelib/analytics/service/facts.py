"""Facts as the lake stores them (one JSON object a line) and as bus events give them.

The lake's line schema (docs/analytics.md has the Athena table): ``batch_id``, ``kind``,
``at`` and ``received_at`` (ISO 8601, UTC), ``source`` (``client`` or the bus event type),
``visitor``, ``session_id``, ``user_id``, ``product_id``, ``shop_id``, ``query``,
``results``, ``quantity``, ``amount`` (minor units), ``currency``, ``order_id``,
``device_type``, ``os``, ``browser``, ``country``. No IP address, no email.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.analytics import repository
from chalicelib.analytics.domain import Device, DeviceType, Fact, FactBatch, FactKind
from chalicelib.cart.events import CartAbandoned
from chalicelib.core import clock
from chalicelib.core.events import DomainEvent
from chalicelib.orders.events import OrderPaid, PaymentFailed

BUS_TYPES = (OrderPaid.name, CartAbandoned.name, PaymentFailed.name)


def to_line(batch_id: str, fact: Fact) -> dict[str, Any]:
    """``fact`` as one line of the lake (and of a queued batch)."""
    return {
        "batch_id": batch_id,
        "kind": str(fact.kind),
        "at": clock.iso(fact.at),
        "received_at": clock.iso(fact.received_at),
        "source": fact.source,
        "visitor": fact.visitor,
        "session_id": fact.session_id,
        "user_id": fact.user_id,
        "product_id": fact.product_id,
        "shop_id": fact.shop_id,
        "query": fact.query,
        "results": fact.results,
        "quantity": fact.quantity,
        "amount": fact.amount,
        "currency": fact.currency,
        "order_id": fact.order_id,
        "device_type": str(fact.device.type),
        "os": fact.device.os,
        "browser": fact.device.browser,
        "country": fact.country,
    }


def from_line(line: dict[str, Any]) -> Fact:
    """A lake line back as a fact (ValueError/KeyError if it is not one)."""
    return Fact(
        kind=FactKind(line["kind"]),
        at=clock.parse(line["at"]),
        received_at=clock.parse(line["received_at"]),
        source=str(line["source"]),
        visitor=line.get("visitor"),
        session_id=line.get("session_id"),
        user_id=line.get("user_id"),
        product_id=line.get("product_id"),
        shop_id=line.get("shop_id"),
        query=line.get("query"),
        results=line.get("results"),
        quantity=int(line.get("quantity") or 0),
        amount=int(line.get("amount") or 0),
        currency=line.get("currency"),
        order_id=line.get("order_id"),
        device=Device(
            DeviceType(line.get("device_type") or DeviceType.UNKNOWN),
            os=line.get("os") or "Other",
            browser=line.get("browser") or "Other",
        ),
        country=line.get("country") or "unknown",
    )


def batch_to_message(batch: FactBatch) -> dict[str, Any]:
    return {
        "batch_id": batch.batch_id,
        "received_at": clock.iso(batch.received_at),
        "facts": [to_line(batch.batch_id, fact) for fact in batch.facts],
    }


def batch_from_message(message: dict[str, Any]) -> FactBatch:
    """A queued client batch (ValueError/KeyError/TypeError if it is not one)."""
    return FactBatch(
        batch_id=str(message["batch_id"]),
        received_at=clock.parse(message["received_at"]),
        facts=tuple(from_line(line) for line in message["facts"]),
    )


def from_bus(event_id: str, occurred_at: datetime, event: DomainEvent) -> FactBatch:
    """The facts a bus event stands for (none for other types): one batch, its id the
    event's id, so a redelivered or re-read event is counted once."""
    common: dict[str, Any] = {"at": occurred_at, "received_at": occurred_at, "source": event.name}
    facts: list[Fact] = []
    if isinstance(event, OrderPaid):
        order = {**common, "user_id": event.user_id, "visitor": event.user_id}
        order |= {"shop_id": event.shop_id, "order_id": event.order_id, "currency": event.currency}
        facts.append(Fact(FactKind.ORDER_PAID, amount=event.total, quantity=1, **order))
        facts += [
            Fact(
                FactKind.PURCHASE,
                product_id=line.product_id,
                quantity=line.quantity,
                amount=line.quantity * line.unit_price,
                **order,
            )
            for line in event.lines
        ]
    elif isinstance(event, CartAbandoned):
        cart = {**common, "user_id": event.user_id, "visitor": event.user_id}
        cart["currency"] = event.currency
        facts.append(Fact(FactKind.CART_ABANDONED, amount=event.subtotal, quantity=1, **cart))
        by_shop: dict[str, int] = {}
        for item in event.items:
            by_shop[item.shop_id] = by_shop.get(item.shop_id, 0) + item.line_total
            facts.append(
                Fact(
                    FactKind.CART_ABANDONED_LINE,
                    product_id=item.product_id,
                    shop_id=item.shop_id,
                    quantity=item.quantity,
                    amount=item.line_total,
                    **cart,
                )
            )
        facts += [
            Fact(FactKind.CART_ABANDONED, shop_id=shop, amount=value, quantity=1, **cart)
            for shop, value in sorted(by_shop.items())
        ]
    elif isinstance(event, PaymentFailed):
        facts.append(Fact(FactKind.PAYMENT_FAILED, user_id=event.user_id, quantity=1, **common))
    return FactBatch(batch_id=event_id, received_at=occurred_at, facts=tuple(facts))


def write_lake(batch: FactBatch) -> str:
    """Store ``batch`` in the lake as one object (the same key for the same batch, so a
    redelivery rewrites it); returns the key."""
    return repository.lake().write(
        batch.batch_id, batch.received_at, [to_line(batch.batch_id, f) for f in batch.facts]
    )


def read_lake(first_day: date, last_day: date) -> Iterator[Fact]:
    """The lake's facts that arrived from ``first_day`` to ``last_day`` (UTC days,
    inclusive), day by day: what the recommendations and forecasting jobs read. A line
    that is not a fact is skipped."""
    day = first_day
    while day <= last_day:
        for line in repository.lake().read_day(day.isoformat()):
            try:
                yield from_line(line)
            except (KeyError, ValueError):
                continue
        day += timedelta(days=1)
