"""Orders a seller can fulfil, over HTTP (Chalice test client, real tokens, moto): the
shipping address on checkout and on the seller's view, the Idempotency-Key's body check.
The saga does not run here (a recording workflow); the orders are moved on as it would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.dev import demo
from chalicelib.orders import repository, workflow
from chalicelib.orders.domain import CheckoutStatus, OrderStatus
from chalicelib.orders.service import payments
from localcloud.deploy import Deployment
from tests.fakes.orders import FakeWorkflow
from tests.fixtures.http import ApiClient

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
    from dataclasses import replace

    seller = http.person("seller")
    demo.ensure_categories()
    shop = demo.ensure_shop(seller.account_id, f"Shop {uuid.uuid4().hex[:6]}", "home")
    made = demo.generate([shop], len(stocks), seed=int(uuid.uuid4().int % 90) + 10)
    made = [replace(product, stock=stock) for product, stock in zip(made, stocks, strict=True)]
    demo.load(made)
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
