"""Orders a seller can fulfil, over HTTP (Chalice test client, real tokens, moto): the
shipping address on checkout and on the seller's view, the Idempotency-Key's body check.
The saga does not run here (a recording workflow); the orders are moved on as it would."""

from __future__ import annotations

import email
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.ses.models import ses_backends

from chalicelib.dev import demo
from chalicelib.orders import repository, workflow
from chalicelib.orders.domain import CheckoutStatus, OrderStatus
from chalicelib.orders.service import payments
from localcloud.deploy import Deployment
from localcloud.lambdas import LambdaRuntime
from tests.fakes.orders import FakeWorkflow
from tests.fixtures.aws import load_event
from tests.fixtures.http import ApiClient
from tests.fixtures.products import fresh_products

PASSWORD = "Fulfil-Http-Pass-2026"
VISA = "4242 4242 4242 4242"
HOME = {
    "recipient": "Ada Shopper",
    "line1": "1 Market St",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}


@dataclass
class Person:
    account_id: str
    email: str
    token: str


class Http(ApiClient):
    def person(self, role: str = "user") -> Person:
        from chalicelib.identity.service import admin

        email = f"{role}.{uuid.uuid4().hex[:8]}@fulfil.example.com"
        account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
        return Person(account.account_id, email, self.sign_in(email, PASSWORD))

    def ok(self, method: str, path: str, body: Any = None, who: Person | None = None) -> Any:
        response = self.call(method, path, body, who.token if who else None)
        assert response.status_code in (200, 201, 202), (response.status_code, response.body)
        return response.json_body

    def place(self, who: Person, body: dict[str, Any], key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        return self.call("POST", "/checkout", body, who.token, headers=headers)


@pytest.fixture
def http(api: Any) -> Iterator[Http]:
    workflow.use(FakeWorkflow())  # the saga is not run: orders are moved on by the test
    yield Http(api)
    workflow.use(None)


@dataclass
class Shop:
    seller: Person
    shop_id: str
    product_ids: list[str]


def a_shop(http: Http, *stocks: int) -> Shop:
    """A seller with a shop and one product per stock figure."""

    seller = http.person("seller")
    demo.ensure_categories()
    shop = demo.ensure_shop(seller.account_id, f"Shop {uuid.uuid4().hex[:6]}", "home")
    made = fresh_products(shop, len(stocks), stocks=list(stocks))
    return Shop(seller, shop.shop_id, [product.product_id for product in made])


def paid(checkout_id: str) -> None:
    """What the saga does for a paid checkout: payment captured, orders and checkout PAID."""
    repo = repository.get()
    checkout = repo.get_checkout(checkout_id)
    payments.request(checkout.payment_id, task_token="not-waiting")
    for order in repo.orders_of(checkout):
        repo.move_order(order, OrderStatus.PAID)
    repo.set_checkout_status(checkout_id, CheckoutStatus.PAID)


def test_checkout_ships_to_a_saved_address_the_seller_sees_and_the_book_cannot_change(
    aws_env: Deployment, http: Http
) -> None:
    # Given a shopper with a saved address and a lamp in the cart
    shop = a_shop(http, 5)
    shopper = http.person()
    saved = http.ok("POST", f"/accounts/{shopper.account_id}/addresses", HOME, shopper)
    http.ok("POST", "/cart/items", {"product_id": shop.product_ids[0]}, shopper)
    # When they check out without an address, it is refused and names the fields
    missing = http.place(shopper, {"payment_method": VISA})
    assert missing.status_code == 422
    assert missing.json_body["error"]["code"] == "SHIPPING_ADDRESS_REQUIRED"
    bad = http.place(
        shopper, {"payment_method": VISA, "shipping_address": {**HOME, "country": "Germany"}}
    )
    assert bad.status_code == 422  # recipient is not a field here, and the country is no code
    unknown = http.place(shopper, {"payment_method": VISA, "address_id": "no-such-address"})
    assert unknown.status_code == 404
    # When they check out to the saved address
    body = {"payment_method": VISA, "address_id": saved["address_id"]}
    placed = http.place(shopper, body, key="ship-key-0001")
    assert placed.status_code == 202, placed.body
    (order,) = placed.json_body["orders"]
    paid(placed.json_body["checkout_id"])
    # And then delete the address from their book
    gone = http.call(
        "DELETE",
        f"/accounts/{shopper.account_id}/addresses/{saved['address_id']}",
        None,
        shopper.token,
    )
    assert gone.status_code == 204
    # Then the seller's view of the order shows where it ships and whom to contact, only
    view = http.ok("GET", f"/orders/{order['order_id']}", who=shop.seller)
    assert view["shipping_address"] == {
        "name": "Ada Shopper",
        "line1": "1 Market St",
        "line2": None,
        "city": "Berlin",
        "region": None,
        "postal_code": "10115",
        "country": "DE",
        "phone": None,
    }
    assert view["buyer"] == {"name": "Ada Shopper", "email": shopper.email}
    listed = http.ok("GET", "/seller/orders", who=shop.seller)["items"]
    assert [o["shipping_address"]["city"] for o in listed] == ["Berlin"]
    # And the same key with another body is refused; with the same body it is the same
    again = http.place(shopper, body, key="ship-key-0001")
    assert (again.status_code, again.json_body["checkout_id"]) == (
        202,
        placed.json_body["checkout_id"],
    )
    other = {"payment_method": VISA, "shipping_address": {**HOME, "city": "Hamburg"}}
    other["shipping_address"]["name"] = other["shipping_address"].pop("recipient")
    reused = http.place(shopper, other, key="ship-key-0001")
    assert (reused.status_code, reused.json_body["error"]["code"]) == (
        422,
        "IDEMPOTENCY_KEY_REUSED",
    )


SHIP_TO = {**{k: v for k, v in HOME.items() if k != "recipient"}, "name": "Ada Shopper"}


def emails_from_the_bus(aws_env: Deployment, detail_types: set[str]) -> list[str]:
    """Run the order-emails consumer on what the bus routed to its queue (each message
    twice: a redelivery sends nothing more); the text of every email it sent."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = aws_env.physical["OrderEmailsQueue"]
    bodies: list[str] = []
    for _ in range(10):  # bounded: the rule delivers at once on moto
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        bodies += [m["Body"] for m in got]
        if not got:
            break
    wanted = [b for b in bodies if json.loads(b)["detail-type"] in detail_types]
    runtime = LambdaRuntime("us-east-1")
    for spec in aws_env.functions.values():
        runtime.register(spec)
    sent = ses_backends[aws_env.account_id]["us-east-1"].sent_messages
    before = len(sent)
    event = load_event("order_emails_sqs.json")
    for body in wanted + wanted:
        event["Records"][0]["body"] = body
        result = runtime.invoke("bazaar-test-order-emails", event)
        assert result.payload == {"batchItemFailures": []}, result.error
    texts = []
    for message in sent[before:]:
        parsed = email.message_from_string(str(getattr(message, "raw_data", "")))
        plain = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
        texts.append(f"{parsed['Subject']}\n{plain.get_payload(decode=True).decode()}")
    return texts


def test_the_seller_ships_with_tracking_and_the_shopper_sees_it_and_is_emailed(
    aws_env: Deployment, http: Http
) -> None:
    # Given a paid order of the seller's shop
    shop = a_shop(http, 5)
    shopper = http.person()
    http.ok("POST", "/cart/items", {"product_id": shop.product_ids[0]}, shopper)
    placed = http.place(shopper, {"payment_method": VISA, "shipping_address": SHIP_TO})
    paid(placed.json_body["checkout_id"])
    order_id = placed.json_body["orders"][0]["order_id"]
    path = f"/orders/{order_id}/status"
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.purge_queue(QueueUrl=aws_env.physical["OrderEmailsQueue"])
    # When the seller ships without tracking, it is refused, naming what is missing
    untracked = http.call("PUT", path, {"status": "SHIPPED", "carrier": "DHL"}, shop.seller.token)
    assert (untracked.status_code, untracked.json_body["error"]["code"]) == (
        422,
        "TRACKING_REQUIRED",
    )
    another = http.person("seller")
    tracking = {"status": "SHIPPED", "carrier": "DHL", "tracking_number": "JD014600003303"}
    assert http.call("PUT", path, tracking, another.token).status_code == 404
    # When the seller ships with a carrier, a tracking number and a tracking page
    url = "https://www.dhl.com/track?id=JD014600003303"
    shipped = http.ok("PUT", path, {**tracking, "tracking_url": url}, shop.seller)
    # Then the shopper sees how it travels, and later when it arrived
    seen = http.ok("GET", f"/orders/{order_id}", who=shopper)
    assert {k: seen["shipment"][k] for k in ("carrier", "tracking_number", "tracking_url")} == {
        "carrier": "DHL",
        "tracking_number": "JD014600003303",
        "tracking_url": url,
    }
    assert seen["shipment"]["shipped_at"] == shipped["shipment"]["shipped_at"]
    http.ok("PUT", path, {"status": "DELIVERED"}, shop.seller)
    delivered = http.ok("GET", f"/orders/{order_id}", who=shopper)
    assert delivered["status"] == "DELIVERED"
    assert delivered["delivered_at"] is not None
    # And each reached the shopper by email once
    mails = emails_from_the_bus(aws_env, {"order.shipped", "order.delivered"})
    assert len(mails) == 2
    assert any("is on its way" in m and "JD014600003303" in m and url in m for m in mails)
    assert any(f"order {order_id[:8]} was delivered" in m for m in mails)
    # And the lists filter by status and date; an unknown filter is refused
    mine = http.ok("GET", "/orders?status=DELIVERED&from=2020-01-01T00:00:00Z", who=shopper)
    assert [o["order_id"] for o in mine["items"]] == [order_id]
    assert http.ok("GET", "/orders?to=2020-01-01T00:00:00Z", who=shopper)["items"] == []
    theirs = http.ok("GET", "/seller/orders?status=DELIVERED&from=2020-01-01", who=shop.seller)
    assert [o["order_id"] for o in theirs["items"]] == [order_id]
    assert http.call("GET", "/orders?colour=red", token=shopper.token).status_code == 422
    assert (
        http.call("GET", "/seller/orders?from=yesterday", token=shop.seller.token).status_code
        == 400
    )


def test_the_shopper_returns_one_line_and_is_refunded_once(aws_env: Deployment, http: Http) -> None:
    # Given a delivered order of two products of one shop
    shop = a_shop(http, 5, 5)
    shopper = http.person()
    for product_id in shop.product_ids:
        http.ok("POST", "/cart/items", {"product_id": product_id}, shopper)
    placed = http.place(shopper, {"payment_method": VISA, "shipping_address": SHIP_TO})
    paid(placed.json_body["checkout_id"])
    order = placed.json_body["orders"][0]
    order_id = order["order_id"]
    returns_path = f"/orders/{order_id}/returns"
    lamp = order["lines"][0]
    line = {"product_id": lamp["product_id"], "quantity": 1}
    # Not delivered yet: refused clearly
    early = http.call("POST", returns_path, {"lines": [line], "reason": "x"}, shopper.token)
    assert (early.status_code, early.json_body["error"]["code"]) == (409, "NOT_RETURNABLE")
    tracking = {"status": "SHIPPED", "carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    http.ok("PUT", f"/orders/{order_id}/status", tracking, shop.seller)
    http.ok("PUT", f"/orders/{order_id}/status", {"status": "DELIVERED"}, shop.seller)
    boto3.client("sqs", region_name="us-east-1").purge_queue(
        QueueUrl=aws_env.physical["OrderEmailsQueue"]
    )
    # When the shopper returns one line with a reason
    asked = http.ok("POST", returns_path, {"lines": [line], "reason": "Too dim"}, shopper)
    assert (asked["status"], asked["amount"]) == ("REQUESTED", lamp["unit_price"])
    decision = f"{returns_path}/{asked['return_id']}/decision"
    # Then another seller cannot decide it (it does not exist for them), nor the shopper
    another = http.person("seller")
    approve = {"approve": True, "reason": "Sorry about that", "restock": True}
    assert http.call("POST", decision, approve, another.token).status_code == 404
    assert http.call("POST", decision, approve, shopper.token).status_code == 403
    # When the shop's seller approves, and the approval is sent again
    first = http.ok("POST", decision, approve, shop.seller)
    again = http.ok("POST", decision, approve, shop.seller)
    assert (first["status"], first["restocked"], again) == ("REFUNDED", True, first)
    # Then the order, payment and checkout agree on the one refund
    view = http.ok("GET", f"/checkouts/{placed.json_body['checkout_id']}", who=shopper)
    (after,) = view["orders"]
    assert (after["status"], after["refunded"]) == ("PARTIALLY_REFUNDED", lamp["unit_price"])
    assert (view["status"], view["payment"]["refunded"]) == ("PAID", lamp["unit_price"])
    listed = http.ok("GET", returns_path, who=shop.seller)["items"]
    assert [r["status"] for r in listed] == ["REFUNDED"]
    # And the shopper got one email saying so
    mails = emails_from_the_bus(aws_env, {"order.refunded", "return.decided"})
    assert len(mails) == 1
    assert "your return for order" in mails[0]
    # And an admin refunds the rest through the same path: everything agrees
    admin = http.person("admin")
    http.ok("PUT", f"/orders/{order_id}/status", {"status": "REFUNDED"}, admin)
    view = http.ok("GET", f"/checkouts/{placed.json_body['checkout_id']}", who=shopper)
    assert (view["status"], view["payment"]["status"], view["orders"][0]["status"]) == (
        "REFUNDED",
        "REFUNDED",
        "REFUNDED",
    )
    assert view["orders"][0]["refunded"] == view["amount"] == view["payment"]["refunded"]


def test_a_shopper_buys_a_size_and_colour_returns_it_and_it_is_restocked(
    aws_env: Deployment, http: Http
) -> None:
    from chalicelib.catalog.service import indexer

    # Given a seller's shirt in red/M (1 left, at 30.00) and blue/L (3 left, the 20.00)
    seller = http.person("seller")
    demo.ensure_categories()
    demo.ensure_shop(seller.account_id, f"Shirts {uuid.uuid4().hex[:6]}", "home")
    made = http.ok(
        "POST",
        "/products",
        {
            "title": f"Shirt {uuid.uuid4().hex[:6]}",
            "category": "home",
            "regular_price": 2000,
            "stock": 0,
            "variants": [
                {"color": "red", "size": "m", "stock": 1, "price": 3000},
                {"color": "blue", "size": "l", "stock": 3},
            ],
        },
        seller,
    )
    shirt = made["product_id"]
    assert [(v["sku"], v["stock"], v["price"]) for v in made["variants"]] == [
        ("red-m", 1, 3000),
        ("blue-l", 3, 2000),
    ]
    assert (made["stock"], made["colors"], made["sizes"]) == (4, ["red", "blue"], ["m", "l"])
    indexer.reindex_product(shirt)

    def found(query: str) -> bool:
        items = http.ok("GET", f"/products?{query}&shop_id={made['shop_id']}")["items"]
        return shirt in [item["product_id"] for item in items]

    assert (found("colors=red&sizes=m"), found("colors=red&sizes=l")) == (True, False)
    # The seller edits variants with the product's optimistic locking
    variants = [
        {"color": "red", "size": "m", "stock": 1, "price": 3000},
        {"color": "blue", "size": "l", "stock": 3},
    ]
    edit = {"version": made["version"], "variants": variants}
    edited = http.ok("PATCH", f"/products/{shirt}", edit, seller)
    assert edited["version"] > made["version"]
    stale = http.call("PATCH", f"/products/{shirt}", edit, seller.token)
    assert stale.status_code == 409  # a stale copy is refused: reload and try again
    both = {"version": edited["version"], "stock": 3}
    assert http.call("PATCH", f"/products/{shirt}", both, seller.token).status_code == 422
    # A shopper must choose a variant; they add red/M
    shopper = http.person()
    plain = http.call("POST", "/cart/items", {"product_id": shirt}, shopper.token)
    assert (plain.status_code, plain.json_body["error"]["code"]) == (422, "VARIANT_REQUIRED")
    nope = http.call("POST", "/cart/items", {"product_id": shirt, "sku": "pink-xs"}, shopper.token)
    assert nope.status_code == 404
    cart = http.ok("POST", "/cart/items", {"product_id": shirt, "sku": "red-m"}, shopper)
    (line,) = cart["lines"]
    assert (line["sku"], line["color"], line["size"], line["unit_price"]) == (
        "red-m",
        "red",
        "m",
        3000,
    )
    too_many = http.call(
        "PUT", f"/cart/items/{shirt}", {"quantity": 2, "sku": "red-m"}, shopper.token
    )
    assert too_many.status_code == 409  # one red/M left
    # When they check out, pay, and the seller ships and delivers
    placed = http.place(shopper, {"payment_method": VISA, "shipping_address": SHIP_TO})
    assert placed.status_code == 202, placed.body
    order = placed.json_body["orders"][0]
    assert [(ln["sku"], ln["color"], ln["size"]) for ln in order["lines"]] == [
        ("red-m", "red", "m")
    ]
    from chalicelib.orders.service import saga

    saga.reserve(saga.Task("reserve", placed.json_body["checkout_id"]))
    paid(placed.json_body["checkout_id"])
    shirt_now = http.ok("GET", f"/products/{shirt}")
    assert {v["sku"]: v["stock"] for v in shirt_now["variants"]} == {"red-m": 0, "blue-l": 3}
    indexer.reindex_product(shirt)
    assert (found("colors=red"), found("colors=blue&sizes=l")) == (False, True)  # red sold out
    order_id = order["order_id"]
    tracking = {"status": "SHIPPED", "carrier": "DHL", "tracking_number": "JD014600003303"}
    http.ok("PUT", f"/orders/{order_id}/status", tracking, seller)
    http.ok("PUT", f"/orders/{order_id}/status", {"status": "DELIVERED"}, seller)
    # Then they return it; the seller approves with a restock: that SKU comes back
    back = {"lines": [{"product_id": shirt, "sku": "red-m", "quantity": 1}], "reason": "Too small"}
    asked = http.ok("POST", f"/orders/{order_id}/returns", back, shopper)
    assert (asked["amount"], asked["lines"][0]["sku"]) == (3000, "red-m")
    approve = {"approve": True, "reason": "OK", "restock": True}
    http.ok("POST", f"/orders/{order_id}/returns/{asked['return_id']}/decision", approve, seller)
    shirt_now = http.ok("GET", f"/products/{shirt}")
    assert {v["sku"]: v["stock"] for v in shirt_now["variants"]} == {"red-m": 1, "blue-l": 3}
    view = http.ok("GET", f"/orders/{order_id}", who=shopper)
    assert (view["status"], view["refunded"]) == ("REFUNDED", 3000)
