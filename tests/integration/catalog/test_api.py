"""The catalog and cart over HTTP (Chalice test client, real tokens): flows and bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.fixtures.http import ApiClient
from tests.integration.catalog.conftest import PASSWORD, World


class Http(ApiClient):
    def token(self, email: str) -> str:
        return self.sign_in(email, PASSWORD)


@pytest.fixture
def http(api: Any, world: World) -> Http:
    return Http(api)


def new_product(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Canvas Sneakers",
        "category": "shoes",
        "subcategory": "sneakers",
        "brand": "Acme",
        "colors": ["white"],
        "sizes": ["42"],
        "tags": ["summer"],
        "regular_price": 4999,
        "stock": 5,
        **overrides,
    }


def error_code(response: Any) -> str:
    code: str = response.json_body["error"]["code"]
    return code


def test_seller_lists_products_and_a_shopper_searches_and_fills_a_cart(
    http: Http, world: World
) -> None:
    from chalicelib.core import clock

    seller, shopper = world.person("seller"), world.person("user")
    seller_token, shopper_token = http.token(seller.email), http.token(shopper.email)

    created = http.call(
        "POST", "/shops", {"name": "Sneaker Barn", "category": "shoes"}, seller_token
    )
    assert created.status_code == 201, created.body
    shop_id = created.json_body["shop_id"]
    assert http.call("GET", "/seller/shop", token=seller_token).json_body["shop_id"] == shop_id

    ids = []
    for title, color, price in [
        ("Canvas Sneakers", "white", 4999),
        ("Court Sneakers", "red", 6999),
    ]:
        response = http.call(
            "POST",
            "/products",
            new_product(title=title, colors=[color], regular_price=price),
            seller_token,
        )
        assert response.status_code == 201, response.body
        ids.append(response.json_body["product_id"])
    world.pump()

    found = http.call("GET", "/products?category=shoes&colors=red&sort=price_asc")
    assert found.status_code == 200, found.body
    assert [item["product_id"] for item in found.json_body["items"]] == [ids[1]]
    page = http.call("GET", "/products?q=sneakers&limit=1&sort=price_desc").json_body
    assert page["items"][0]["product_id"] == ids[1]
    assert page["next_cursor"]
    rest = http.call(
        "GET", f"/products?q=sneakers&limit=1&sort=price_desc&cursor={page['next_cursor']}"
    )
    assert [item["product_id"] for item in rest.json_body["items"]] == [ids[0]]

    detail = http.call("GET", f"/products/{ids[0]}").json_body
    assert detail["shop"]["name"] == "Sneaker Barn"
    assert detail["related_url"] == f"/products/{ids[0]}/related"
    # its related products are the recommender's; new to the model, the catalog's similar
    related = http.call("GET", detail["related_url"]).json_body
    assert related["strategy"] == "similar"
    assert [item["product"]["product_id"] for item in related["items"]] == [ids[1]]

    now = clock.now()
    code = http.call(
        "POST",
        "/seller/discount-codes",
        {
            "code": "BARN5",
            "kind": "fixed",
            "value": 500,
            "min_order": 5000,
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=7)).isoformat(),
        },
        seller_token,
    )
    assert code.status_code == 201, code.body
    cart = http.call("POST", "/cart/items", {"product_id": ids[0], "quantity": 1}, shopper_token)
    assert cart.status_code == 200, cart.body
    below = http.call("PUT", "/cart/code", {"code": "BARN5"}, shopper_token)
    assert below.status_code == 422
    assert error_code(below) == "DISCOUNT_BELOW_MINIMUM"
    assert below.json_body["error"]["details"]["rule"] == "below_minimum"
    http.call("PUT", f"/cart/items/{ids[0]}", {"quantity": 2}, shopper_token)
    applied = http.call("PUT", "/cart/code", {"code": "barn5"}, shopper_token)
    assert applied.status_code == 200, applied.body
    body = applied.json_body
    assert (body["subtotal"], body["discount_amount"], body["total"]) == (9998, 500, 9498)
    assert body["checkout_ready"] is True

    wished = http.call("PUT", f"/wishlist/{ids[1]}", token=shopper_token)
    assert wished.status_code == 204
    listed = http.call("GET", "/wishlist", token=shopper_token).json_body
    assert [item["product_id"] for item in listed["items"]] == [ids[1]]


def test_bad_input_and_other_sellers_things_are_refused(http: Http, world: World) -> None:
    from chalicelib.core import clock

    owner, intruder, shopper = world.person("seller"), world.person("seller"), world.person("user")
    owner_token, intruder_token = http.token(owner.email), http.token(intruder.email)
    shopper_token = http.token(shopper.email)
    shop = http.call("POST", "/shops", {"name": "Owner Shop", "category": "home"}, owner_token)
    http.call("POST", "/shops", {"name": "Intruder Shop", "category": "home"}, intruder_token)
    product = http.call("POST", "/products", new_product(), owner_token).json_body
    path = f"/products/{product['product_id']}"

    assert http.call("POST", "/products", new_product()).status_code == 401
    assert http.call("POST", "/products", new_product(), shopper_token).status_code == 403
    for bad in (
        {"regular_price": -100},
        {"regular_price": 12.5},
        {"regular_price": 10**15},
        {"stock": -1},
        {"stock": 10**12},
        {"colors": "red"},
        {"surprise": True},
    ):
        response = http.call("POST", "/products", new_product(**bad), owner_token)
        assert response.status_code == 422, (bad, response.body)
    unknown = http.call("POST", "/products", new_product(category="weapons"), owner_token)
    assert (unknown.status_code, error_code(unknown)) == (422, "UNKNOWN_CATEGORY")
    assert http.call("GET", "/products?category=weapons").status_code == 422
    assert http.call("GET", "/products?min_price=-5").status_code == 422
    assert http.call("GET", "/products?min_price=100&max_price=5000").status_code == 200
    assert http.call("GET", "/products?min_price=500&max_price=100").status_code == 422
    assert http.call("GET", "/products?sort=random").status_code == 422
    assert http.call("GET", "/products?cursor=forged.abc").status_code == 400

    # Another seller's product or shop answers 404, with the body an unknown one gets
    theirs = http.call("PATCH", path, {"version": 1, "title": "Mine now"}, intruder_token)
    missing = http.call("PATCH", "/products/nope", {"version": 1}, intruder_token)
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert error_code(theirs) == error_code(missing) == "NOT_FOUND"
    assert theirs.json_body["error"]["message"] == missing.json_body["error"]["message"]
    assert http.call("DELETE", path, token=intruder_token).status_code == 404
    assert http.call("POST", f"{path}/restore", token=intruder_token).status_code == 404
    assert http.call("GET", f"{path}/images/any", token=intruder_token).status_code == 404
    assert http.call("POST", f"{path}/description-draft", token=intruder_token).status_code == 404
    shop_path = f"/shops/{shop.json_body['shop_id']}"
    assert http.call("PATCH", shop_path, {"name": "Taken"}, intruder_token).status_code == 404
    assert http.call("DELETE", shop_path, token=intruder_token).status_code == 404
    assert http.call("POST", f"{shop_path}/restore", token=intruder_token).status_code == 404
    assert http.call("PATCH", "/products/nope", {"version": 1}, owner_token).status_code == 404
    assert http.call("GET", "/products/nope").status_code == 404
    upload = http.call(
        "POST", f"{path}/images", {"content_type": "image/png", "size": 1000}, intruder_token
    )
    assert upload.status_code == 404
    too_big = http.call(
        "POST", f"{path}/images", {"content_type": "image/png", "size": 10**9}, owner_token
    )
    assert too_big.status_code == 422
    not_image = http.call(
        "POST", f"{path}/images", {"content_type": "text/html", "size": 10}, owner_token
    )
    assert not_image.status_code == 422
    grant = http.call(
        "POST", f"{path}/images", {"content_type": "image/png", "size": 1000}, owner_token
    )
    assert grant.status_code == 201
    assert grant.json_body["fields"]["Content-Type"] == "image/png"
    assert "policy" in json.dumps(grant.json_body["fields"]).lower()

    updated = http.call("PATCH", path, {"version": 1, "stock": 9}, owner_token)
    assert updated.status_code == 200
    assert updated.json_body["version"] == 2
    stale = http.call("PATCH", path, {"version": 1, "stock": 8}, owner_token)
    assert (stale.status_code, error_code(stale)) == (409, "STALE_VERSION")

    for quantity in (0, -1, 1000, 1.5):
        response = http.call(
            "POST",
            "/cart/items",
            {"product_id": product["product_id"], "quantity": quantity},
            shopper_token,
        )
        assert response.status_code == 422, quantity
    over = http.call(
        "POST", "/cart/items", {"product_id": product["product_id"], "quantity": 50}, shopper_token
    )
    assert (over.status_code, error_code(over)) == (409, "OUT_OF_STOCK")

    now = clock.now()
    expired = http.call(
        "POST",
        "/seller/discount-codes",
        {
            "code": "GONE",
            "kind": "percent",
            "value": 20,
            "starts_at": (now - timedelta(days=2)).isoformat(),
            "ends_at": (now - timedelta(days=1)).isoformat(),
        },
        owner_token,
    )
    assert expired.status_code == 201
    http.call(
        "POST", "/cart/items", {"product_id": product["product_id"], "quantity": 1}, shopper_token
    )
    rejected = http.call("PUT", "/cart/code", {"code": "GONE"}, shopper_token)
    assert (rejected.status_code, error_code(rejected)) == (422, "DISCOUNT_EXPIRED")
    assert "expired" in rejected.json_body["error"]["message"]
    bad_code = http.call(
        "POST",
        "/seller/discount-codes",
        {
            "code": "HUGE",
            "kind": "percent",
            "value": 150,
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
        },
        owner_token,
    )
    assert bad_code.status_code == 422


def test_admin_manages_categories_and_everyone_reads_them(http: Http, world: World) -> None:
    from tests.integration.catalog.conftest import CATEGORIES

    admin, seller = world.person("admin"), world.person("seller")
    admin_token, seller_token = http.token(admin.email), http.token(seller.email)
    current = http.call("GET", "/site/config").json_body
    assert current["categories"] == {k: sorted(v) for k, v in CATEGORIES.items()}
    refused = http.call("PUT", "/admin/site/config", {"categories": {"toys": []}}, seller_token)
    assert refused.status_code == 403
    changed = http.call(
        "PUT",
        "/admin/site/config",
        {"version": current["version"], "categories": {**CATEGORIES, "toys": ["lego"]}},
        admin_token,
    )
    assert changed.status_code == 200, changed.body
    assert changed.json_body["categories"]["toys"] == ["lego"]
    stale = http.call(
        "PUT", "/admin/site/config", {"version": current["version"], "categories": {}}, admin_token
    )
    assert stale.status_code == 409
    grant = http.call(
        "POST", "/admin/site/assets", {"kind": "logo", "content_type": "image/png"}, admin_token
    )
    assert grant.status_code == 201
    assert grant.json_body["key"] == "uploads/assets/" + grant.json_body["asset_id"]


def test_the_openapi_document_lists_catalog_and_cart_routes(http: Http) -> None:
    spec = http.call("GET", "/openapi.json").json_body
    assert {
        "/products",
        "/products/{product_id}",
        "/shops",
        "/cart",
        "/cart/code",
        "/wishlist",
    } <= set(spec["paths"])
    assert spec["paths"]["/products"]["post"]["x-access"] == "roles:seller"
    params = {p["name"] for p in spec["paths"]["/products"]["get"]["parameters"]}
    assert {"q", "category", "colors", "min_price", "sort", "cursor"} <= params
