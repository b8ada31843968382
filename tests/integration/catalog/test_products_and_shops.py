"""Shops and products: ownership, optimistic locking, validation, soft delete and restore."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from tests.integration.catalog.conftest import World, product_body


def patch(**values: Any) -> Any:
    from chalicelib.catalog.schemas import ProductPatch

    return ProductPatch.model_validate(values)


def test_a_seller_opens_one_shop_and_edits_it(world: World) -> None:
    from chalicelib.catalog.schemas import ShopInput
    from chalicelib.catalog.service import shops
    from chalicelib.core.errors import ConflictError, ForbiddenError, NotFoundError
    from chalicelib.identity import repository

    seller, shop = world.seller_with_shop("Corner Shoes")
    assert shop.slug == "corner-shoes"
    account = repository.get().get_account(seller.account_id)
    assert account is not None
    assert account.shop_id == shop.shop_id
    with pytest.raises(ConflictError, match="already have a shop"):
        shops.create_shop(seller.caller, ShopInput(name="Second", category="shoes"))
    other = world.person("seller")
    with pytest.raises(ConflictError, match="taken"):
        shops.create_shop(other.caller, ShopInput(name="Corner Shoes", category="home"))
    with pytest.raises(ForbiddenError):
        shops.create_shop(world.person("user").caller, ShopInput(name="Mine", category="home"))

    edited = shops.update_shop(
        seller.caller,
        shop.shop_id,
        ShopInput.model_validate(
            {"slug": "corner", "settings": {"low_stock_threshold": 2, "channels": ["email"]}}
        ),
    )
    assert edited.slug == "corner"
    assert edited.settings == {"low_stock_threshold": 2, "channels": ["email"]}
    with pytest.raises(NotFoundError):
        shops.update_shop(other.caller, shop.shop_id, ShopInput(name="Stolen"))
    # The old slug is free again; the new one is not.
    shops.create_shop(other.caller, ShopInput(name="Corner Shoes", category="home"))


def test_unknown_category_is_refused_with_422(world: World) -> None:
    from chalicelib.catalog.errors import UnknownCategoryError
    from chalicelib.catalog.schemas import ShopInput
    from chalicelib.catalog.service import products, shops

    seller, _ = world.seller_with_shop()
    with pytest.raises(UnknownCategoryError):
        products.create_product(seller.caller, product_body(category="weapons"))
    with pytest.raises(UnknownCategoryError):
        products.create_product(seller.caller, product_body(subcategory="boots-of-speed"))
    with pytest.raises(UnknownCategoryError):
        shops.create_shop(world.person("seller").caller, ShopInput(name="X shop", category="nope"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("regular_price", -1),
        ("regular_price", 0),
        ("regular_price", 10**12),
        ("regular_price", 19.99),
        ("regular_price", "1999"),
        ("stock", -5),
        ("stock", 10**9),
        ("sale_price", 9999),  # not below the regular price
        ("tags", ["x" * 41]),
        ("colors", ["<script>"]),
    ],
)
def test_negative_or_absurd_values_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as error:
        product_body(**{field: value})
    assert field in str(error.value) or "sale_price" in str(error.value)


def test_update_uses_optimistic_locking(world: World) -> None:
    from chalicelib.catalog.errors import StaleVersionError
    from chalicelib.catalog.service import products

    seller, _ = world.seller_with_shop()
    product = products.create_product(seller.caller, product_body())
    assert product.version == 1
    updated = products.update_product(
        seller.caller, product.product_id, patch(version=1, title="Renamed", sale_price=7999)
    )
    assert (updated.version, updated.title, updated.sale_price) == (2, "Renamed", 7999)
    with pytest.raises(StaleVersionError) as stale:
        products.update_product(seller.caller, product.product_id, patch(version=1, stock=3))
    assert stale.value.details["current_version"] == 2
    with pytest.raises(Exception, match="sale_price"):
        products.update_product(
            seller.caller, product.product_id, patch(version=2, regular_price=5000)
        )
    cleared = products.update_product(
        seller.caller,
        product.product_id,
        patch(version=2, regular_price=5000, clear_sale_price=True),
    )
    assert cleared.sale_price is None
    assert cleared.version == 3


def test_another_sellers_product_is_not_found_like_an_unknown_one(world: World) -> None:
    from chalicelib.catalog.schemas import ImageUploadInput
    from chalicelib.catalog.service import images, products
    from chalicelib.core.errors import NotFoundError

    owner, _ = world.seller_with_shop()
    intruder, _ = world.seller_with_shop()
    product = products.create_product(owner.caller, product_body())
    for action in (
        lambda: products.update_product(intruder.caller, product.product_id, patch(version=1)),
        lambda: products.delete_product(intruder.caller, product.product_id),
        lambda: products.restore_product(intruder.caller, product.product_id),
        lambda: images.request_upload(
            intruder.caller,
            product.product_id,
            ImageUploadInput(content_type="image/png", size=100),
        ),
    ):
        with pytest.raises(NotFoundError, match="No such product"):
            action()
    with pytest.raises(NotFoundError):
        products.update_product(owner.caller, "no-such-product", patch(version=1))


def test_soft_delete_restores_within_24_hours_only(world: World) -> None:
    from chalicelib.catalog.errors import RestoreWindowClosedError
    from chalicelib.catalog.service import products
    from chalicelib.core import clock
    from chalicelib.core.errors import NotFoundError

    seller, _ = world.seller_with_shop()
    with clock.controlled() as manual:
        first = products.create_product(seller.caller, product_body(title="First"))
        second = products.create_product(seller.caller, product_body(title="Second"))
        deleted = products.delete_product(seller.caller, first.product_id)
        assert deleted.purge_after == manual.now() + timedelta(hours=24)
        with pytest.raises(NotFoundError):
            products.visible_product(first.product_id)
        manual.advance(hours=23)
        assert products.restore_product(seller.caller, first.product_id).status == "ACTIVE"
        products.visible_product(first.product_id)

        products.delete_product(seller.caller, second.product_id)
        manual.advance(hours=24, seconds=1)
        with pytest.raises(RestoreWindowClosedError):
            products.restore_product(seller.caller, second.product_id)


def test_shop_delete_hides_everything_and_restores_within_28_days(world: World) -> None:
    from chalicelib.catalog.domain import SearchQuery
    from chalicelib.catalog.errors import RestoreWindowClosedError
    from chalicelib.catalog.service import browse, products, shops
    from chalicelib.core import clock
    from chalicelib.core.errors import NotFoundError

    seller, shop = world.seller_with_shop()
    product = products.create_product(seller.caller, product_body())
    world.pump()
    with clock.controlled() as manual:
        shops.delete_shop(seller.caller, shop.shop_id)
        world.pump()
        assert browse.find(SearchQuery(shop_id=shop.shop_id)).items == []
        with pytest.raises(NotFoundError):
            products.visible_product(product.product_id)
        manual.advance(days=27)
        shops.restore_shop(seller.caller, shop.shop_id)
        world.pump()
        found = browse.find(SearchQuery(shop_id=shop.shop_id)).items
        assert [p.product_id for p in found] == [product.product_id]
        shops.delete_shop(seller.caller, shop.shop_id)
        manual.advance(days=28, seconds=1)
        with pytest.raises(RestoreWindowClosedError):
            shops.restore_shop(seller.caller, shop.shop_id)


def test_follow_counts_and_lists(world: World) -> None:
    from chalicelib.catalog.service import shops

    _, shop = world.seller_with_shop()
    fan = world.person("user")
    assert shops.follow(fan.caller, shop.shop_id).follower_count == 1
    assert shops.follow(fan.caller, shop.shop_id).follower_count == 1  # idempotent
    assert shops.followed_shops(fan.caller, limit=10, cursor=None).items == [shop.shop_id]
    assert shops.unfollow(fan.caller, shop.shop_id).follower_count == 0
    assert shops.unfollow(fan.caller, shop.shop_id).follower_count == 0


def test_every_change_publishes_product_events(world: World) -> None:
    from chalicelib.catalog.service import products

    seller, _ = world.seller_with_shop()
    world.drain("EventArchiveQueue")
    product = products.create_product(seller.caller, product_body())
    products.update_product(seller.caller, product.product_id, patch(version=1, stock=2))
    products.delete_product(seller.caller, product.product_id)
    products.restore_product(seller.caller, product.product_id)
    seen = [
        (event["detail-type"], event["detail"]["data"].get("change"))
        for event in world.drain("EventArchiveQueue")
        if event["detail-type"].startswith("product.")
    ]
    assert seen == [
        ("product.updated", "created"),
        ("product.updated", "updated"),
        ("product.deleted", None),
        ("product.updated", "restored"),
    ]


def test_description_drafts_are_deterministic_offline(world: World) -> None:
    from chalicelib.catalog.service import descriptions, products

    seller, _ = world.seller_with_shop()
    product = products.create_product(seller.caller, product_body())
    first = descriptions.describe(product)
    assert first.offline is True
    assert first.provider == "offline"
    assert "offline" in first.note
    assert first.text == descriptions.describe(product).text
    assert "Trail Runner Sneakers" in first.text
    assert "red and black" in first.text
