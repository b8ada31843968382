"""Issue 10 over HTTP: media keys only from accepted uploads (1), explicit nulls (3), the
site configuration's version and categories in use (4), 404 for what is not yours (9)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.http import ApiClient
from tests.integration.catalog.conftest import (
    CATEGORIES,
    PASSWORD,
    World,
    attach_image,
    png_bytes,
)


class Http(ApiClient):
    def token(self, email: str) -> str:
        return self.sign_in(email, PASSWORD)


@pytest.fixture
def http(api: Any, world: World) -> Http:
    return Http(api)


def fields_of(response: Any) -> list[str]:
    return [detail["field"] for detail in response.json_body["error"]["details"]]


def upload_asset(
    http: Http, world: World, path: str, body: dict[str, Any], token: str, *, process: bool = True
) -> dict[str, Any]:
    """As a client: ask for a grant, put the file in S3; the pipeline runs if ``process``."""
    grant = http.call("POST", path, body, token)
    assert grant.status_code == 201, grant.body
    world.s3.put_object(
        Bucket=world.deployment.physical["MediaBucket"],
        Key=grant.json_body["key"],
        Body=png_bytes(300, 200),
        ContentType="image/png",
    )
    if process:
        world.pump("MediaUploadsQueue", "media-uploaded")
        world.pump("ProductImagesQueue", "product-images")
    status = http.call("GET", f"/assets/{grant.json_body['asset_id']}", token=token)
    assert status.status_code == 200, status.body
    found: dict[str, Any] = status.json_body
    return found


def test_a_shop_logo_is_only_an_accepted_upload_of_the_seller(http: Http, world: World) -> None:
    # Given a seller, another seller with a product image, and the seller's uploads
    seller, shop = world.seller_with_shop()
    other, _ = world.seller_with_shop()
    token, other_token = http.token(seller.email), http.token(other.email)
    product = http.call(
        "POST",
        "/products",
        {"title": "Hidden", "category": "shoes", "regular_price": 1000, "stock": 1},
        other_token,
    ).json_body
    image = attach_image(world, product["product_id"], png_bytes(), "image/png")
    assert image["status"] == "READY"
    world.drain("MediaUploadsQueue")  # that upload was processed (and deleted) already
    other_keys = list(
        world.s3.list_objects_v2(
            Bucket=world.deployment.physical["MediaBucket"],
            Prefix=f"media/products/{product['product_id']}/",
        )["Contents"]
    )
    logo_body = {"content_type": "image/png", "size": 5000}
    mine = upload_asset(http, world, "/seller/shop/logo", logo_body, token)
    assert (mine["status"], mine["purpose"]) == ("READY", "shop_logo")
    theirs = upload_asset(http, world, "/seller/shop/logo", logo_body, other_token)
    # (uploaded, not processed yet: the pipeline has not run since)
    pending = upload_asset(http, world, "/seller/shop/logo", logo_body, token, process=False)
    assert pending["status"] == "PENDING"
    path = f"/shops/{shop.shop_id}"
    # When the seller sets the logo to anything else, Then 422 naming logo_key
    for key in (
        other_keys[0]["Key"],
        "media/site/logo-anything",
        f"uploads/assets/{pending['asset_id']}",
        f"media/assets/{pending['asset_id']}/shop_logo.webp",
        theirs["media_key"],
    ):
        refused = http.call("PATCH", path, {"logo_key": key}, token)
        assert (refused.status_code, fields_of(refused)) == (422, ["logo_key"]), key
    assert http.call("GET", path).json_body["logo_url"] is None
    # And their own accepted logo works: the shop shows a link to it
    saved = http.call("PATCH", path, {"logo_key": mine["media_key"]}, token)
    assert saved.status_code == 200, saved.body
    assert mine["media_key"] in http.call("GET", path).json_body["logo_url"]
    # Someone else's upload is not found
    assert http.call("GET", f"/assets/{mine['asset_id']}", token=other_token).status_code == 404
    # A shopper may not upload a logo (a role refusal stays 403)
    shopper = http.token(world.person("user").email)
    assert http.call("POST", "/seller/shop/logo", logo_body, shopper).status_code == 403


def test_the_site_logo_and_banner_are_only_accepted_uploads_of_the_admin(
    http: Http, world: World
) -> None:
    admin_token = http.token(world.person("admin").email)
    version = http.call("GET", "/site/config").json_body["version"]
    for field in ("logo_key", "banner_key"):
        refused = http.call(
            "PUT",
            "/admin/site/config",
            {"version": version, field: "media/products/p/i/full.webp"},
            admin_token,
        )
        assert (refused.status_code, fields_of(refused)) == (422, [field])
    banner = upload_asset(
        http,
        world,
        "/admin/site/assets",
        {"kind": "banner", "content_type": "image/png"},
        admin_token,
    )
    assert banner["status"] == "READY"
    saved = http.call(
        "PUT",
        "/admin/site/config",
        {"version": version, "banner_key": banner["media_key"]},
        admin_token,
    )
    assert saved.status_code == 200, saved.body
    assert banner["media_key"] in http.call("GET", "/site/config").json_body["banner_url"]


@pytest.mark.parametrize(
    "field", ["title", "slug", "tags", "colors", "sizes", "regular_price", "stock", "category"]
)
def test_null_for_a_product_field_that_cannot_be_empty_is_a_422_naming_it(
    http: Http, world: World, field: str
) -> None:
    seller, _ = world.seller_with_shop()
    token = http.token(seller.email)
    product = http.call(
        "POST",
        "/products",
        {"title": "Lamp", "category": "home", "regular_price": 3000, "stock": 2},
        token,
    ).json_body
    response = http.call(
        "PATCH", f"/products/{product['product_id']}", {"version": 1, field: None}, token
    )
    assert (response.status_code, fields_of(response)) == (422, [field])


def test_null_clears_sale_price_and_description(http: Http, world: World) -> None:
    seller, shop = world.seller_with_shop()
    token = http.token(seller.email)
    product = http.call(
        "POST",
        "/products",
        {
            "title": "Lamp",
            "description": "Warm light",
            "category": "home",
            "regular_price": 3000,
            "sale_price": 2500,
            "stock": 2,
        },
        token,
    ).json_body
    cleared = http.call(
        "PATCH",
        f"/products/{product['product_id']}",
        {"version": 1, "sale_price": None, "description": None},
        token,
    )
    assert cleared.status_code == 200, cleared.body
    assert (cleared.json_body["sale_price"], cleared.json_body["description"]) == (None, None)
    assert cleared.json_body["price"] == 3000
    # The same review for shops: null is refused where a value is needed, clears otherwise
    shop_path = f"/shops/{shop.shop_id}"
    refused = http.call("PATCH", shop_path, {"name": None}, token)
    assert (refused.status_code, fields_of(refused)) == (422, ["name"])
    assert http.call("PATCH", shop_path, {"description": None}, token).status_code == 200


def test_the_site_config_needs_its_version_and_keeps_categories_in_use(
    http: Http, world: World
) -> None:
    # Given a shop and a product in "home/lighting"
    admin_token = http.token(world.person("admin").email)
    seller = world.person("seller")
    token = http.token(seller.email)
    shop = http.call("POST", "/shops", {"name": "Lamps Inc", "category": "home"}, token).json_body
    product = http.call(
        "POST",
        "/products",
        {
            "title": "Lamp",
            "category": "home",
            "subcategory": "lighting",
            "regular_price": 3000,
            "stock": 2,
        },
        token,
    ).json_body
    current = http.call("GET", "/site/config").json_body
    # When the configuration is sent without a version, Then 422 and nothing changes
    wipe = http.call("PUT", "/admin/site/config", {"categories": {"toys": []}}, admin_token)
    assert (wipe.status_code, fields_of(wipe)) == (422, ["version"])
    stale = http.call("PUT", "/admin/site/config", {"version": current["version"] + 5}, admin_token)
    assert (stale.status_code, stale.json_body["error"]["code"]) == (409, "STALE_VERSION")
    # When "home" (or only "home/lighting") is removed while in use, Then 409 with what uses it
    without_home = {k: v for k, v in CATEGORIES.items() if k != "home"}
    refused = http.call(
        "PUT",
        "/admin/site/config",
        {"version": current["version"], "categories": without_home},
        admin_token,
    )
    assert (refused.status_code, refused.json_body["error"]["code"]) == (409, "CATEGORY_IN_USE")
    assert refused.json_body["error"]["details"]["in_use"] == [
        {
            "category": "home",
            "subcategory": None,
            "products": 1,
            "shops": 1,
            "product_ids": [product["product_id"]],
            "shop_ids": [shop["shop_id"]],
        }
    ]
    sub = http.call(
        "PUT",
        "/admin/site/config",
        {"version": current["version"], "categories": {**CATEGORIES, "home": ["kitchen"]}},
        admin_token,
    )
    assert sub.status_code == 409
    assert sub.json_body["error"]["details"]["in_use"][0]["subcategory"] == "lighting"
    # Then the configuration is unchanged and searching by the category still works
    assert http.call("GET", "/site/config").json_body == current
    assert http.call("GET", "/products?category=home").status_code == 200
    assert http.call("GET", "/products?category=home&subcategory=lighting").status_code == 200
    # And unused categories can go
    unused = http.call(
        "PUT",
        "/admin/site/config",
        {"version": current["version"], "categories": {"home": ["lighting"]}},
        admin_token,
    )
    assert unused.status_code == 200, unused.body
    assert unused.json_body["categories"] == {"home": ["lighting"]}


def test_someone_elses_offers_codes_and_uploads_are_not_found(http: Http, world: World) -> None:
    owner, shop = world.seller_with_shop()
    intruder, _ = world.seller_with_shop()
    owner_token, intruder_token = http.token(owner.email), http.token(intruder.email)
    product = http.call(
        "POST",
        "/products",
        {"title": "Lamp", "category": "home", "regular_price": 3000, "stock": 2},
        owner_token,
    ).json_body
    window = {"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}
    offer = http.call(
        "POST",
        "/seller/offers",
        {"name": "Week", "percent_off": 10, "product_ids": [product["product_id"]], **window},
        owner_token,
    ).json_body
    code = http.call(
        "POST",
        "/seller/discount-codes",
        {"code": "MINE5", "kind": "fixed", "value": 500, **window},
        owner_token,
    )
    assert code.status_code == 201, code.body
    for method, path in (
        ("DELETE", f"/seller/offers/{offer['offer_id']}"),
        ("DELETE", "/seller/discount-codes/MINE5"),
        ("GET", f"/products/{product['product_id']}/images/none"),
        ("DELETE", f"/shops/{shop.shop_id}"),
    ):
        theirs = http.call(method, path, token=intruder_token)
        assert theirs.status_code == 404, (path, theirs.body)
        assert theirs.json_body["error"]["code"] == "NOT_FOUND"
    # An offer on someone else's product names the field instead
    borrowed = http.call(
        "POST",
        "/seller/offers",
        {"name": "Mine", "percent_off": 10, "product_ids": [product["product_id"]], **window},
        intruder_token,
    )
    assert (borrowed.status_code, fields_of(borrowed)) == (422, ["product_ids"])


def test_the_api_description_lists_the_new_statuses(http: Http) -> None:
    paths = http.call("GET", "/openapi.json").json_body["paths"]

    def codes(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert {"200", "404", "409", "422"} <= codes("/shops/{shop_id}", "patch")
    assert {"201", "422"} <= codes("/shops", "post")
    assert {"200", "409", "422"} <= codes("/admin/site/config", "put")
    assert {"201", "403", "422"} <= codes("/seller/shop/logo", "post")
    assert {"201", "403", "422"} <= codes("/admin/site/assets", "post")
    assert {"200", "404"} <= codes("/assets/{asset_id}", "get")
    assert {"200", "404", "409", "422"} <= codes("/products/{product_id}", "patch")
