"""Checkout, orders and payments routes. Prices never come from the client."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from chalice import Blueprint
from pydantic import Field

from chalicelib.core.caller import Caller
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import page_limit
from chalicelib.core.validation import RequestModel, ResponseModel
from chalicelib.orders import checkout, faults, payments, repository, service
from chalicelib.orders.lifecycle import STATUSES
from chalicelib.orders.models import Checkout, Order, Payment
from chalicelib.web.access import SIGNED_IN, roles
from chalicelib.web.routing import QueryParam, api_route

bp = Blueprint(__name__)
TAGS = ["orders"]
PAGE = (
    QueryParam("limit", "Page size"),
    QueryParam("cursor", "Cursor from the previous page"),
)
ADMIN_FILTERS = (
    *PAGE,
    QueryParam("status", "Only this status"),
    QueryParam("from", "Created at or after (ISO 8601)"),
    QueryParam("to", "Created at or before (ISO 8601)"),
)


class CheckoutRequest(RequestModel):
    """A test card number (simulated provider); with Stripe, a PaymentMethod id (pm_...) or
    ``checkout_session`` for Stripe's hosted payment page."""

    payment_method: str = Field(min_length=4, max_length=64)


class ConfirmRequest(RequestModel):
    """Simulated 3-D Secure: complete (true) or fail (false) the authentication."""

    succeed: bool = True


class StatusRequest(RequestModel):
    status: Literal["SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"]


class OrderLineView(ResponseModel):
    product_id: str
    title: str
    quantity: int
    unit_price: int


class OrderView(ResponseModel):
    """Amounts in minor units. ``reason`` says why an order was cancelled."""

    order_id: str
    checkout_id: str
    user_id: str
    shop_id: str
    status: str
    reason: str | None = None
    lines: list[OrderLineView]
    subtotal: int
    discount: int
    total: int
    refunded: int
    currency: str
    history: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class PaymentView(ResponseModel):
    payment_id: str
    checkout_id: str
    provider: str
    status: str
    failure_code: str | None = None
    amount: int
    refunded: int
    currency: str
    next_action: dict[str, Any] | None = None
    created_at: datetime


class CheckoutView(ResponseModel):
    checkout_id: str
    status: str
    reason: str | None = None
    amount: int
    currency: str
    code: str | None = None
    orders: list[OrderView]
    payment: PaymentView
    created_at: datetime


class OrderPage(ResponseModel):
    items: list[OrderView]
    next_cursor: str | None = None


class PaymentPage(ResponseModel):
    items: list[PaymentView]
    next_cursor: str | None = None


def order_view(order: Order) -> OrderView:
    return OrderView(
        order_id=order.order_id,
        checkout_id=order.checkout_id,
        user_id=order.user_id,
        shop_id=order.shop_id,
        status=order.status,
        reason=order.reason,
        lines=[OrderLineView(**line) for line in order.lines],
        subtotal=int(order.subtotal),
        discount=int(order.discount),
        total=int(order.total),
        refunded=int(order.refunded or 0),
        currency=order.currency,
        history=list(order.history or []),
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def payment_view(payment: Payment) -> PaymentView:
    return PaymentView(
        payment_id=payment.payment_id,
        checkout_id=payment.checkout_id,
        provider=payment.provider,
        status=payment.status,
        failure_code=payment.failure_code,
        amount=int(payment.amount),
        refunded=int(payment.refunded or 0),
        currency=payment.currency,
        next_action=payment.next_action,
        created_at=payment.created_at,
    )


def checkout_view(found: Checkout) -> CheckoutView:
    return CheckoutView(
        checkout_id=found.checkout_id,
        status=found.status,
        reason=found.reason,
        amount=int(found.amount),
        currency=found.currency,
        code=found.code,
        orders=[order_view(order) for order in repository.orders_of(found)],
        payment=payment_view(payments.get_payment(found.payment_id)),
        created_at=found.created_at,
    )


def _query(name: str) -> str | None:
    params: Any = bp.current_request.query_params or {}
    value = params.get(name)
    return str(value) if value not in (None, "") else None


def _date(name: str) -> datetime | None:
    raw = _query(name)
    if raw is None:
        return None
    try:
        from chalicelib.core import clock

        return clock.parse(raw)
    except ValueError:
        raise BadRequestError(f"{name} must be an ISO 8601 date-time") from None


def _status() -> str | None:
    status = _query("status")
    if (
        status is not None
        and status not in STATUSES
        and status
        not in (
            "PENDING",
            "REQUIRES_ACTION",
            "SUCCEEDED",
            "FAILED",
        )
    ):
        raise BadRequestError(f"status must be one of {', '.join(STATUSES)}")
    return status


@api_route(
    bp,
    "/checkout",
    methods=["POST"],
    summary="Check out the cart (Idempotency-Key header; one order per shop; saga starts)",
    tags=TAGS,
    request_model=CheckoutRequest,
    response_model=CheckoutView,
    access=SIGNED_IN,
    status=202,
    errors=[403, 409, 422, 503],
)
def place_checkout(body: CheckoutRequest, caller: Caller) -> CheckoutView:
    headers = bp.current_request.headers
    plan = faults.parse_plan(headers.get("x-fault-plan"))
    found, _ = checkout.place(
        checkout.Shopper(caller.account_id, caller.role, caller.email),
        idempotency_key=headers.get("idempotency-key"),
        payment_method=body.payment_method,
        fault_plan=plan,
    )
    return checkout_view(found)


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
    found = checkout.get_checkout_for(
        caller.account_id, checkout_id, is_admin=caller.role == "admin"
    )
    return checkout_view(found)


@api_route(
    bp,
    "/orders",
    summary="Your orders, newest first",
    tags=TAGS,
    response_model=OrderPage,
    access=SIGNED_IN,
    query=PAGE,
)
def my_orders(caller: Caller) -> OrderPage:
    page = service.my_orders(
        caller.account_id, limit=page_limit(_query("limit")), cursor=_query("cursor")
    )
    return OrderPage(items=[order_view(o) for o in page.items], next_cursor=page.next_cursor)


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
    return order_view(
        service.order_for(
            order_id, user_id=caller.account_id, role=caller.role, shop_id=caller.shop_id
        )
    )


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
    return order_view(service.cancel_as_shopper(order_id, caller.account_id))


@api_route(
    bp,
    "/seller/orders",
    summary="Your shop's orders, newest first",
    tags=TAGS,
    response_model=OrderPage,
    access=roles("seller"),
    query=(*PAGE, QueryParam("status", "Only this status")),
)
def shop_orders(caller: Caller) -> OrderPage:
    page = service.shop_orders(
        caller.shop_id,
        status=_status(),
        limit=page_limit(_query("limit")),
        cursor=_query("cursor"),
    )
    return OrderPage(items=[order_view(o) for o in page.items], next_cursor=page.next_cursor)


@api_route(
    bp,
    "/orders/{order_id}/status",
    methods=["PUT"],
    summary="Seller (own shop) or admin: SHIPPED, DELIVERED, CANCELLED (refund), REFUNDED",
    tags=TAGS,
    request_model=StatusRequest,
    response_model=OrderView,
    access=roles("seller", "admin"),
    errors=[403, 404, 409],
)
def update_status(order_id: str, body: StatusRequest, caller: Caller) -> OrderView:
    return order_view(
        service.update_status(
            order_id,
            body.status,
            user_id=caller.account_id,
            role=caller.role,
            shop_id=caller.shop_id,
        )
    )


@api_route(
    bp,
    "/admin/orders",
    summary="All orders, newest first, by status and date",
    tags=TAGS,
    response_model=OrderPage,
    access=roles("admin"),
    query=ADMIN_FILTERS,
    errors=[400],
)
def admin_orders() -> OrderPage:
    page = service.all_orders(
        status=_status(),
        since=_date("from"),
        until=_date("to"),
        limit=page_limit(_query("limit")),
        cursor=_query("cursor"),
    )
    return OrderPage(items=[order_view(o) for o in page.items], next_cursor=page.next_cursor)


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
    page = service.all_payments(
        status=_status(),
        since=_date("from"),
        until=_date("to"),
        limit=page_limit(_query("limit")),
        cursor=_query("cursor"),
    )
    return PaymentPage(items=[payment_view(p) for p in page.items], next_cursor=page.next_cursor)


@api_route(
    bp,
    "/payments/webhook",
    methods=["POST"],
    summary="Payment provider webhook (Stripe-Signature verified on the raw body)",
    tags=TAGS,
    errors=[400],
)
def webhook() -> dict[str, Any]:
    request = bp.current_request
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    return payments.handle_webhook(raw, request.headers.get("stripe-signature"))


@api_route(
    bp,
    "/payments/{payment_id}/confirm",
    methods=["POST"],
    summary="Simulated provider: complete 3-D Secure for your payment (sends the webhook)",
    tags=TAGS,
    request_model=ConfirmRequest,
    access=SIGNED_IN,
    errors=[404],
)
def confirm_payment(payment_id: str, body: ConfirmRequest, caller: Caller) -> dict[str, Any]:
    payment = payments.get_payment(payment_id)
    if payment.user_id != caller.account_id:
        from chalicelib.core.errors import NotFoundError

        raise NotFoundError("No such payment")
    return payments.confirm_simulated(payment_id, succeed=body.succeed)
