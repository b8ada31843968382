"""Checkout, orders and payments routes. Prices never come from the client."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice import Blueprint

from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.errors import BadRequestError
from chalicelib.orders import faults
from chalicelib.orders.domain import OrderStatus, PaymentStatus
from chalicelib.orders.schemas import (
    CheckoutRequest,
    CheckoutView,
    DecisionRequest,
    OrderPage,
    OrderView,
    PaymentPage,
    ReturnList,
    ReturnRequest,
    ReturnView,
    StatusRequest,
)
from chalicelib.orders.service import checkout, orders, payments, returns
from chalicelib.web.access import SIGNED_IN, roles
from chalicelib.web.routing import PAGE_QUERY, HeaderParam, QueryParam, api_route, page_of, query_of

bp = Blueprint(__name__)
TAGS = ["orders"]
DATES = (
    QueryParam("from", "Created at or after (ISO 8601)"),
    QueryParam("to", "Created at or before (ISO 8601)"),
)
ADMIN_FILTERS = (*PAGE_QUERY, QueryParam("status", "Only this status"), *DATES)
# An admin list filters on order statuses or payment statuses.
LISTED_STATUSES = frozenset({*OrderStatus, *PaymentStatus})
ORDER_STATUSES = frozenset(OrderStatus)
STATUS = QueryParam(
    "status",
    "Only orders in this status",
    schema={"type": "string", "enum": sorted(ORDER_STATUSES)},
)


def _query(name: str) -> str | None:
    return query_of(bp).get(name) or None


def _date(name: str) -> datetime | None:
    raw = _query(name)
    if raw is None:
        return None
    try:
        return clock.parse(raw)
    except ValueError:
        raise BadRequestError(f"{name} must be an ISO 8601 date-time") from None


def _status(allowed: frozenset[str] = LISTED_STATUSES) -> str | None:
    status = _query("status")
    if status is not None and status not in allowed:
        raise BadRequestError(f"status must be one of {', '.join(sorted(allowed))}")
    return status


@api_route(
    bp,
    "/checkout",
    methods=["POST"],
    summary="Check out the cart to a shipping address (Idempotency-Key header; one order per "
    "shop; saga starts)",
    tags=TAGS,
    request_model=CheckoutRequest,
    response_model=CheckoutView,
    access=SIGNED_IN,
    status=202,
    errors=[403, 404, 409, 422, 503],
    headers=[
        HeaderParam(
            "Idempotency-Key",
            "Names this checkout: the same key and body again answer the same checkout; "
            "the same key with another body is refused (422). 8-128 of letters, digits, "
            "'-', '_', ':', '.'",
            required=True,
            schema={"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,128}$"},
        )
    ],
)
def place_checkout(body: CheckoutRequest, caller: Caller) -> CheckoutView:
    headers = bp.current_request.headers
    placed, _ = checkout.place(
        caller,
        idempotency_key=headers.get("idempotency-key"),
        payment_method=body.payment_method,
        address_id=body.address_id,
        shipping_address=body.shipping_address.to_domain() if body.shipping_address else None,
        fault_plan=faults.parse_plan(headers.get("x-fault-plan")),
    )
    return CheckoutView.of(placed)


@api_route(
    bp,
    "/checkouts/{checkout_id}",
    summary="A checkout: status, cancellation reason, orders, payment (and its next action)",
    tags=TAGS,
    response_model=CheckoutView,
    access=SIGNED_IN,
    errors=[404],
)
def get_checkout(checkout_id: str, caller: Caller) -> CheckoutView:
    return CheckoutView.of(checkout.checkout_for(caller, checkout_id))


@api_route(
    bp,
    "/orders",
    summary="Your orders, newest first, by status and date",
    tags=TAGS,
    response_model=OrderPage,
    access=SIGNED_IN,
    query=(*PAGE_QUERY, STATUS, *DATES),
    errors=[400],
)
def my_orders(caller: Caller) -> OrderPage:
    limit, cursor = page_of(bp)
    page = orders.my_orders(
        caller,
        status=_status(ORDER_STATUSES),
        since=_date("from"),
        until=_date("to"),
        limit=limit,
        cursor=cursor,
    )
    return OrderPage.of(page)


@api_route(
    bp,
    "/orders/{order_id}",
    summary="One order (yours, your shop's, or any for admins)",
    tags=TAGS,
    response_model=OrderView,
    access=SIGNED_IN,
    errors=[404],
)
def get_order(order_id: str, caller: Caller) -> OrderView:
    return OrderView.of(orders.order_for(caller, order_id))


@api_route(
    bp,
    "/orders/{order_id}/cancel",
    methods=["POST"],
    summary="Cancel your order before it ships (refund + restock)",
    tags=TAGS,
    response_model=OrderView,
    access=SIGNED_IN,
    errors=[404, 409],
)
def cancel_order(order_id: str, caller: Caller) -> OrderView:
    return OrderView.of(orders.cancel_as_shopper(caller, order_id))


@api_route(
    bp,
    "/orders/{order_id}/returns",
    methods=["POST"],
    summary="Return some lines of your delivered order, with a reason (within the return "
    "window); the shop approves or refuses",
    tags=TAGS,
    request_model=ReturnRequest,
    response_model=ReturnView,
    access=SIGNED_IN,
    status=201,
    errors=[404, 409],
)
def request_return(order_id: str, body: ReturnRequest, caller: Caller) -> ReturnView:
    return ReturnView.of(returns.request_return(caller, order_id, body.to_domain(), body.reason))


@api_route(
    bp,
    "/orders/{order_id}/returns",
    summary="An order's returns (its shopper, its shop's seller, admins)",
    tags=TAGS,
    response_model=ReturnList,
    access=SIGNED_IN,
    errors=[404],
)
def list_returns(order_id: str, caller: Caller) -> ReturnList:
    return ReturnList.of(returns.returns_for(caller, order_id))


@api_route(
    bp,
    "/orders/{order_id}/returns/{return_id}/decision",
    methods=["POST"],
    summary="Seller (own shop) or admin: approve (refund once, optionally restock) or "
    "refuse a return, with a reason",
    tags=TAGS,
    request_model=DecisionRequest,
    response_model=ReturnView,
    access=roles("seller", "admin"),
    errors=[404, 409, 503],
)
def decide_return(
    order_id: str, return_id: str, body: DecisionRequest, caller: Caller
) -> ReturnView:
    decided = returns.decide(
        caller,
        order_id,
        return_id,
        approve=body.approve,
        reason=body.reason,
        restock=body.restock,
    )
    return ReturnView.of(decided)


@api_route(
    bp,
    "/seller/orders",
    summary="Your shop's orders, newest first, by status and date",
    tags=TAGS,
    response_model=OrderPage,
    access=roles("seller"),
    query=(*PAGE_QUERY, STATUS, *DATES),
    errors=[400],
)
def shop_orders(caller: Caller) -> OrderPage:
    limit, cursor = page_of(bp)
    page = orders.shop_orders(
        caller,
        status=_status(ORDER_STATUSES),
        since=_date("from"),
        until=_date("to"),
        limit=limit,
        cursor=cursor,
    )
    return OrderPage.of(page)


@api_route(
    bp,
    "/orders/{order_id}/status",
    methods=["PUT"],
    summary="Seller (own shop) or admin: SHIPPED (carrier + tracking number), DELIVERED, "
    "CANCELLED (refund), REFUNDED",
    tags=TAGS,
    request_model=StatusRequest,
    response_model=OrderView,
    access=roles("seller", "admin"),
    errors=[403, 404, 409],
)
def update_status(order_id: str, body: StatusRequest, caller: Caller) -> OrderView:
    return OrderView.of(
        orders.update_status(
            caller,
            order_id,
            OrderStatus(body.status),
            carrier=body.carrier,
            tracking_number=body.tracking_number,
            tracking_url=body.tracking_url,
        )
    )


@api_route(
    bp,
    "/admin/orders",
    summary="All orders, newest first, by status and date",
    tags=TAGS,
    response_model=OrderPage,
    access=roles("admin"),
    query=(*ADMIN_FILTERS, QueryParam("shop_id", "Only this shop's orders")),
    errors=[400],
)
def admin_orders() -> OrderPage:
    limit, cursor = page_of(bp)
    page = orders.all_orders(
        shop_id=_query("shop_id"),
        status=_status(ORDER_STATUSES),
        since=_date("from"),
        until=_date("to"),
        limit=limit,
        cursor=cursor,
    )
    return OrderPage.of(page)


@api_route(
    bp,
    "/admin/payments",
    summary="All payments, newest first, by status and date",
    tags=TAGS,
    response_model=PaymentPage,
    access=roles("admin"),
    query=ADMIN_FILTERS,
    errors=[400],
)
def admin_payments() -> PaymentPage:
    limit, cursor = page_of(bp)
    page = orders.all_payments(
        status=_status(),
        since=_date("from"),
        until=_date("to"),
        limit=limit,
        cursor=cursor,
    )
    return PaymentPage.of(page)


@api_route(
    bp,
    "/payments/webhook",
    methods=["POST"],
    summary="Payment provider webhook (Stripe-Signature verified on the raw body)",
    tags=TAGS,
    errors=[400, 404, 409],
)
def webhook() -> dict[str, Any]:
    request = bp.current_request
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    return payments.handle_webhook(raw, request.headers.get("stripe-signature"))
