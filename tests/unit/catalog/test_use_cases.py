"""The catalog's use cases on the in-memory repository: the rules, without moto.

What needs DynamoDB itself (conditions, transactions, indexes) is in
tests/integration/catalog (the repository contract and the HTTP edge).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.catalog.domain import ProductStatus, ShopStatus
from chalicelib.catalog.errors import (
    DiscountRejectedError,
    OutOfStockError,
    RestoreWindowClosedError,
    StaleVersionError,
    UnknownCategoryError,
)
from chalicelib.catalog.schemas import (
    DiscountCodeInput,
    OfferInput,
    ProductInput,
    ProductPatch,
    ShopInput,
)
from chalicelib.catalog.service import (
    discounts,
    indexer,
    offers,
    products,
    purge,
    shops,
    site_config,
)
from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from tests.fakes.catalog import Bus, IdentityCalls, InMemoryCatalogRepository, redeem_prepared

pytestmark = pytest.mark.usefixtures("catalog_repo", "bus", "identity")

SELLER = Caller(account_id="seller-1", role=Role.SELLER)
OTHER_SELLER = Caller(account_id="seller-2", role=Role.SELLER)
SHOPPER = Caller(account_id="shopper-1", role=Role.USER)
ADMIN = Caller(account_id="admin-1", role=Role.ADMIN)


@pytest.fixture(autouse=True)
def categories(catalog_repo: InMemoryCatalogRepository) -> None:
    site_config.save_config(categories_map={"shoes": ["boots", "sneakers"], "home": ["lamps"]})


def given_a_shop(caller: Caller = SELLER, name: str = "Corner Shoes") -> Any:
    return shops.create_shop(caller, ShopInput(name=name, category="shoes"))


def given_a_product(caller: Caller = SELLER, **values: Any) -> Any:
    data: dict[str, Any] = {
        "title": "Trail Boots",
        "category": "shoes",
        "subcategory": "boots",
        "regular_price": 5000,
        "stock": 3,
    }
    return products.create_product(caller, ProductInput.model_validate(data | values))


def test_a_seller_opens_one_shop_and_identity_records_it(identity: IdentityCalls, bus: Bus) -> None:
    # When a seller opens a shop
    shop = given_a_shop()
    # Then it is theirs, at version 1, its slug from its name, recorded on their account
    assert (shop.owner_id, shop.slug, shop.version) == ("seller-1", "corner-shoes", 1)
    assert shops.shop_of_seller("seller-1") == shop
    assert identity.shops == [("seller-1", shop.shop_id)]
    assert bus.names() == ["shop.updated"]
    # And a second shop, a taken slug, a shopper's shop or a bad category are refused
    with pytest.raises(ConflictError, match="already have a shop"):
        given_a_shop()
    with pytest.raises(ConflictError, match="is taken"):
        given_a_shop(OTHER_SELLER)
    with pytest.raises(ForbiddenError):
        given_a_shop(SHOPPER, "Mine")
    with pytest.raises(ValidationFailedError):
        shops.create_shop(OTHER_SELLER, ShopInput(name="No category"))
    with pytest.raises(UnknownCategoryError):
        shops.create_shop(OTHER_SELLER, ShopInput(name="Weapons", category="weapons"))


def test_shop_edits_merge_settings_and_move_the_slug(bus: Bus) -> None:
    shop = given_a_shop()
    edited = shops.update_shop(
        SELLER,
        shop.shop_id,
        ShopInput.model_validate({"slug": "corner", "settings": {"low_stock_threshold": 2}}),
    )
    assert (edited.slug, edited.version) == ("corner", 2)
    assert edited.settings == {"low_stock_threshold": 2, "channels": ["app", "websocket"]}
    # Another seller's shop is not found (the same answer as an unknown one)
    with pytest.raises(NotFoundError, match="No such shop"):
        shops.update_shop(OTHER_SELLER, shop.shop_id, ShopInput(name="Stolen"))
    # The old slug is free for another shop
    assert given_a_shop(OTHER_SELLER).slug == "corner-shoes"
    assert bus.names()[-2:] == ["shop.updated", "shop.updated"]


def test_a_deleted_shop_restores_inside_its_window_only(bus: Bus) -> None:
    shop = given_a_shop()
    with clock.controlled() as manual:
        deleted = shops.delete_shop(SELLER, shop.shop_id)
        assert deleted.status is ShopStatus.DELETED
        assert shops.delete_shop(SELLER, shop.shop_id) == deleted  # idempotent
        with pytest.raises(NotFoundError):
            shops.visible_shop(shop.shop_id)
        with pytest.raises(ConflictError):
            shops.update_shop(SELLER, shop.shop_id, ShopInput(name="Late"))
        manual.advance(days=27)
        assert shops.restore_shop(SELLER, shop.shop_id).status is ShopStatus.ACTIVE
        shops.delete_shop(SELLER, shop.shop_id)
        manual.advance(days=28, seconds=1)
        with pytest.raises(RestoreWindowClosedError):
            shops.restore_shop(SELLER, shop.shop_id)
    assert "shop.deleted" in bus.names()


def test_follows_are_idempotent_and_counted() -> None:
    shop = given_a_shop()
    assert shops.follow(SHOPPER, shop.shop_id).follower_count == 1
    assert shops.follow(SHOPPER, shop.shop_id).follower_count == 1
    assert shops.followed_shops(SHOPPER, limit=10, cursor=None).items == [shop.shop_id]
    assert shops.unfollow(SHOPPER, shop.shop_id).follower_count == 0
    assert shops.unfollow(SHOPPER, shop.shop_id).follower_count == 0
    with pytest.raises(NotFoundError):
        shops.follow(SHOPPER, "no-such-shop")


def test_product_edits_need_the_version_read(bus: Bus) -> None:
    # Given a product at version 1
    given_a_shop()
    product = given_a_product()
    assert (product.version, product.status, product.currency) == (1, ProductStatus.ACTIVE, "USD")
    # When it is edited at version 1 it moves to 2
    edited = products.update_product(
        SELLER, product.product_id, ProductPatch(version=1, title="Renamed", sale_price=4000)
    )
    assert (edited.version, edited.title, edited.price_at(clock.now())) == (2, "Renamed", 4000)
    # Then a stale edit is refused, naming both versions
    with pytest.raises(StaleVersionError) as stale:
        products.update_product(SELLER, product.product_id, ProductPatch(version=1, stock=9))
    assert stale.value.details == {"current_version": 2, "your_version": 1}
    # A sale price must stay below the regular price; clearing it is allowed
    with pytest.raises(ValidationFailedError, match="sale_price"):
        products.update_product(
            SELLER, product.product_id, ProductPatch(version=2, regular_price=3000)
        )
    cleared = products.update_product(
        SELLER,
        product.product_id,
        ProductPatch(version=2, regular_price=3000, clear_sale_price=True),
    )
    assert (cleared.sale_price, cleared.version) == (None, 3)
    # A new category without a subcategory drops the old subcategory
    moved = products.update_product(
        SELLER, product.product_id, ProductPatch(version=3, category="home")
    )
    assert (moved.category, moved.subcategory) == ("home", None)
    with pytest.raises(UnknownCategoryError):
        products.update_product(
            SELLER, product.product_id, ProductPatch(version=4, subcategory="boots")
        )
    changes = [e.change for e in bus.events if e.name == "product.updated"]  # type: ignore[attr-defined]
    assert changes == ["created", "updated", "updated", "updated"]


def test_products_are_their_sellers_and_admins() -> None:
    given_a_shop()
    product = given_a_product()
    # Another seller's product is not found, with the same error as an unknown one
    with pytest.raises(NotFoundError) as theirs:
        products.update_product(OTHER_SELLER, product.product_id, ProductPatch(version=1))
    with pytest.raises(NotFoundError):
        products.delete_product(OTHER_SELLER, product.product_id)
    with pytest.raises(NotFoundError) as unknown:
        products.owned_product(SELLER, "no-such-product")
    assert str(theirs.value) == str(unknown.value)
    assert products.owned_product(ADMIN, product.product_id) == product
    with pytest.raises(NotFoundError, match="no shop"):
        given_a_product(OTHER_SELLER)


def test_a_deleted_product_restores_within_24_hours_only(bus: Bus) -> None:
    given_a_shop()
    with clock.controlled() as manual:
        first, second = given_a_product(title="First"), given_a_product(title="Second")
        deleted = products.delete_product(SELLER, first.product_id)
        assert deleted.purge_after == manual.now() + timedelta(hours=24)
        with pytest.raises(NotFoundError):
            products.visible_product(first.product_id)
        manual.advance(hours=23)
        assert products.restore_product(SELLER, first.product_id).is_active
        products.delete_product(SELLER, second.product_id)
        manual.advance(hours=24, seconds=1)
        with pytest.raises(RestoreWindowClosedError):
            products.restore_product(SELLER, second.product_id)
    assert bus.names().count("product.deleted") == 2


def test_a_slug_is_one_products_per_shop() -> None:
    given_a_shop()
    given_a_product(slug="boots")
    with pytest.raises(ConflictError, match="already has a product at 'boots'"):
        given_a_product(slug="boots")


def test_offers_cover_only_the_shops_active_products() -> None:
    given_a_shop()
    mine, gone = given_a_product(), given_a_product(title="Gone")
    products.delete_product(SELLER, gone.product_id)
    given_a_shop(OTHER_SELLER, "Other")
    theirs = given_a_product(OTHER_SELLER)
    now = clock.now()
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=1)}
    for bad in (theirs.product_id, gone.product_id, "ghost"):
        with pytest.raises(ValidationFailedError) as refused:
            offers.create_offer(
                SELLER, OfferInput(name="Sale", percent_off=20, product_ids=[bad], **window)
            )
        assert bad in refused.value.details[0]["message"]
    offer = offers.create_offer(
        SELLER, OfferInput(name="Sale", percent_off=20, product_ids=[mine.product_id], **window)
    )
    covered = products.get_product(mine.product_id)
    assert covered is not None
    assert (covered.price_at(now), covered.on_offer_at(now)) == (4000, True)
    assert offers.shop_offers(covered.shop_id) == [offer]
    offers.end_offer(SELLER, offer.offer_id)
    ended = products.get_product(mine.product_id)
    assert ended is not None
    assert (ended.offer, offers.list_offers(covered.shop_id)) == (None, [])
    with pytest.raises(NotFoundError):
        offers.end_offer(SELLER, offer.offer_id)


def test_cart_snapshots_price_now_and_hide_what_cannot_be_bought(
    catalog_repo: InMemoryCatalogRepository,
) -> None:
    # Given a product on offer, a deleted one, and one of a banned seller
    given_a_shop()
    on_sale, deleted = given_a_product(stock=2), given_a_product(title="Deleted")
    products.delete_product(SELLER, deleted.product_id)
    banned_shop = given_a_shop(OTHER_SELLER, "Banned")
    banned = given_a_product(OTHER_SELLER)
    shops.set_seller_banned(banned_shop.owner_id, True)
    now = clock.now()
    offers.create_offer(
        SELLER,
        OfferInput(
            name="Half",
            percent_off=50,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            product_ids=[on_sale.product_id],
        ),
    )
    # When a cart reads them
    ids = [on_sale.product_id, deleted.product_id, banned.product_id, "ghost"]
    found = products.products_for_cart(ids, now=now)
    # Then only the buyable one is available, priced now
    line = found[on_sale.product_id]
    assert (line.available, line.unit_price, line.list_price, line.on_offer) == (
        True,
        2500,
        5000,
        True,
    )
    assert [found[pid].available for pid in ids[1:]] == [False, False, False]
    assert found["ghost"].product_id == "ghost"
    # And stock is checked against what is left
    products.check_stock(line, 2)
    with pytest.raises(OutOfStockError) as short:
        products.check_stock(line, 3)
    assert short.value.details == {
        "product_id": on_sale.product_id,
        "available": 2,
        "requested": 3,
    }
    for hidden in ids[1:]:
        with pytest.raises(NotFoundError):
            products.buyable_product(hidden)
    # Cards are given for active products (a banned seller's too, as the wishlist shows them)
    assert set(products.cards(ids)) == {on_sale.product_id, banned.product_id}


def test_popularity_moves_without_the_sellers_version(bus: Bus) -> None:
    given_a_shop()
    product = given_a_product()
    products.bump_popularity(product.product_id, 1)
    products.bump_popularity("ghost", 1)
    liked = products.get_product(product.product_id)
    assert liked is not None
    assert (liked.popularity, liked.version) == (1, 1)
    assert bus.names() == ["shop.updated", "product.updated", "product.updated"]


def test_a_new_product_rating_is_announced_so_search_reposts_it_and_an_old_one_is_not(
    bus: Bus,
) -> None:
    shop = given_a_shop()
    product = given_a_product()
    before = len(bus.events)
    # When the reviews' aggregate moves to revision 2, then a late revision 1 arrives
    assert products.set_rating("product", product.product_id, 9, 2, 2)
    assert not products.set_rating("product", product.product_id, 5, 1, 1)
    assert products.set_rating("shop", shop.shop_id, 9, 2, 2)
    # Then the product shows the newer one and one product.updated (rating) went out
    rated = products.get_product(product.product_id)
    assert rated is not None
    assert (rated.rating_sum, rated.rating_count, rated.version) == (9, 2, product.version)
    announced = bus.events[before:]
    assert [(e.name, e.model_dump()["change"]) for e in announced] == [
        ("product.updated", "rating")
    ]


def code_input(**values: Any) -> DiscountCodeInput:
    now = clock.now()
    data: dict[str, Any] = {
        "code": "SAVE10",
        "kind": "percent",
        "value": 10,
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }
    return DiscountCodeInput.model_validate(data | values)


def rule_of(code: str, subtotals: dict[str, int], user: str = "ann") -> str:
    with pytest.raises(DiscountRejectedError) as rejected:
        discounts.evaluate(code, user_id=user, shop_subtotals=subtotals)
    assert rejected.value.code == f"DISCOUNT_{rejected.value.rule.upper()}"
    return rejected.value.rule


def test_every_discount_rule_is_named() -> None:
    shop = given_a_shop()
    now = clock.now()
    discounts.create_code(SELLER, code_input(code="save10", min_order=3000, per_user_limit=1))
    discounts.create_code(SELLER, code_input(code="FIVER", kind="fixed", value=500, max_uses=1))
    discounts.create_code(
        SELLER,
        code_input(
            code="OLD",
            starts_at=(now - timedelta(days=3)).isoformat(),
            ends_at=(now - timedelta(hours=1)).isoformat(),
        ),
    )
    discounts.create_code(
        SELLER,
        code_input(
            code="SOON",
            starts_at=(now + timedelta(hours=1)).isoformat(),
            ends_at=(now + timedelta(days=3)).isoformat(),
        ),
    )
    with pytest.raises(ConflictError):
        discounts.create_code(SELLER, code_input(code="Save10"))
    mine = {shop.shop_id: 4000}
    assert rule_of("NOPE", mine) == "unknown"
    assert rule_of("SAVE10", {"another-shop": 9000}) == "not_applicable"
    assert rule_of("save10", {shop.shop_id: 2000}) == "below_minimum"
    assert rule_of("OLD", mine) == "expired"
    assert rule_of("SOON", mine) == "not_started"
    applied = discounts.evaluate(" save10 ", user_id="ann", shop_subtotals=mine)
    assert (applied.code, applied.amount, applied.eligible_subtotal) == ("SAVE10", 400, 4000)
    # Used once: the per-user limit applies; given back, it applies again
    redeem_prepared(discounts.prepare_redemption("SAVE10", user_id="ann", shop_subtotals=mine))
    assert rule_of("SAVE10", mine) == "per_user_limit"
    discounts.release("SAVE10", user_id="ann")
    assert discounts.evaluate("SAVE10", user_id="ann", shop_subtotals=mine).amount == 400
    # One use overall: the first redemption takes it
    redeem_prepared(discounts.prepare_redemption("FIVER", user_id="ann", shop_subtotals=mine))
    assert rule_of("FIVER", mine, user="bob") == "exhausted"
    discounts.deactivate_code(SELLER, "SAVE10")
    assert rule_of("SAVE10", mine, user="cy") == "inactive"
    with pytest.raises(NotFoundError):
        discounts.deactivate_code(SELLER, "NOPE")
    assert [c.code for c in discounts.list_codes(SELLER)] == ["FIVER", "OLD", "SAVE10", "SOON"]


def test_two_checkouts_prepared_for_the_last_use_only_one_counts() -> None:
    shop = given_a_shop()
    discounts.create_code(SELLER, code_input(code="LAST1", max_uses=1))
    subtotals = {shop.shop_id: 4000}
    # Given two checkouts that both passed every rule before either wrote
    one = discounts.prepare_redemption("LAST1", user_id="ann", shop_subtotals=subtotals)
    two = discounts.prepare_redemption("LAST1", user_id="bob", shop_subtotals=subtotals)
    # When both write their use, the first counts and the second is told why not
    assert redeem_prepared(one) == one.applied
    with pytest.raises(DiscountRejectedError) as refused:
        redeem_prepared(two)
    assert refused.value.rule == "exhausted"
    code = discounts.get_code("last1")
    assert code is not None
    assert code.used == 1


def test_site_config_refuses_a_stale_version() -> None:
    current = site_config.get_config()
    saved = site_config.save_config(categories_map={"toys": ["lego", "lego"]}, expected_version=1)
    assert (saved.categories, saved.version) == ({"toys": ["lego"]}, current.version + 1)
    with pytest.raises(StaleVersionError):
        site_config.save_config(categories_map={}, expected_version=1)


def test_the_index_lists_visible_products_only(catalog_repo: InMemoryCatalogRepository) -> None:
    shop = given_a_shop()
    product = given_a_product()
    assert indexer.handle(*_event("product.updated", product_id=product.product_id))["postings"]
    assert set(catalog_repo.listed) == {product.product_id}
    shops.delete_shop(SELLER, shop.shop_id)
    assert indexer.handle(*_event("shop.deleted", shop_id=shop.shop_id)) == {"products": 1}
    assert catalog_repo.listed == {}
    shops.restore_shop(SELLER, shop.shop_id)
    indexer.reindex_shop(shop.shop_id)
    assert set(catalog_repo.listed) == {product.product_id}
    assert indexer.handle(*_event("account.banned", account_id=SELLER.account_id)) == {
        "shop_id": shop.shop_id
    }
    indexer.reindex_shop(shop.shop_id)
    assert catalog_repo.listed == {}
    assert indexer.handle(*_event("order.created")) == {"ignored": "order.created"}


def _event(detail_type: str, **data: Any) -> tuple[str, dict[str, Any]]:
    return detail_type, data


def test_purges_spare_what_was_restored_and_block_the_sellers_email(
    identity: IdentityCalls, media: list[str], bus: Bus
) -> None:
    shop = given_a_shop()
    identity.emails["seller-1"] = "seller@example.com"
    with clock.controlled() as manual:
        doomed, saved = given_a_product(title="Doomed"), given_a_product(title="Saved")
        products.delete_product(SELLER, doomed.product_id)
        products.delete_product(SELLER, saved.product_id)
        products.restore_product(SELLER, saved.product_id)
        manual.advance(hours=25)
        as_of = manual.now()
    assert purge.list_expired_products(as_of) == [doomed.product_id]
    assert purge.purge_products([doomed.product_id, saved.product_id], as_of=as_of) == 1
    assert products.get_product(doomed.product_id) is None
    assert f"media/products/{doomed.product_id}/" in media
    assert "product.purged" in bus.names()
    # A shop past its window goes with its products; its seller may not sign up again
    with clock.controlled() as manual:
        shops.delete_shop(SELLER, shop.shop_id)
        manual.advance(days=29)
        as_of = manual.now()
    assert purge.list_expired_shops(as_of) == [shop.shop_id]
    assert purge.purge_shop_products(shop.shop_id, as_of=as_of) == {"purged": 1, "more": False}
    assert purge.finish_shop(shop.shop_id, as_of=as_of) == {
        "finished": True,
        "email_blocked": True,
    }
    assert identity.blocked == ["seller@example.com"]
    assert identity.shops[-1] == ("seller-1", None)
    assert shops.shop_of_seller("seller-1") is None
    assert purge.finish_shop(shop.shop_id, as_of=as_of) == {"finished": False}


def test_a_bus_failure_is_counted_as_the_catalogs_not_raised(bus: Bus) -> None:
    bus.down = True
    shop = given_a_shop()
    assert shops.get_shop(shop.shop_id) == shop
    assert bus.metrics == ["CatalogEventsNotPublished"]


SHOE_VARIANTS = [
    {"color": "black", "size": "42", "stock": 5},
    {"color": "white", "size": "42", "stock": 0, "price": 9900},
    {"color": "white", "size": "44", "stock": 2},
]


def test_a_product_sold_by_sku_takes_its_stock_colours_and_sizes_from_its_variants(
    bus: Bus,
) -> None:
    from chalicelib.catalog.schemas import SearchParams
    from chalicelib.catalog.service import browse

    given_a_shop()
    shoe = given_a_product(stock=0, variants=SHOE_VARIANTS)
    assert [(v.sku, v.stock, v.price) for v in shoe.variants] == [
        ("black-42", 5, None),
        ("white-42", 0, 9900),
        ("white-44", 2, None),
    ]
    assert (shoe.stock, shoe.colors, shoe.sizes) == (7, ("black", "white"), ("42", "44"))

    indexer.reindex_product(shoe.product_id)  # what the indexer does on product.updated

    def found(**filters: str) -> bool:
        page = browse.search(SearchParams.model_validate(filters))
        return shoe.product_id in [item.product_id for item in page.items]

    # Search finds it by a colour and size it has in stock, together
    assert found(colors="white", sizes="44")
    assert not found(colors="white", sizes="42")  # that SKU is sold out
    assert found(colors="black", sizes="42")
    # A variant product is bought by SKU, priced by it
    with pytest.raises(ValidationFailedError):
        products.buyable_product(shoe.product_id)
    with pytest.raises(NotFoundError):
        products.buyable_product(shoe.product_id, sku="pink-36")
    white = products.buyable_product(shoe.product_id, sku="white-42")
    assert (white.unit_price, white.stock, white.color, white.size) == (9900, 0, "white", "42")
    with pytest.raises(OutOfStockError):
        products.check_stock(white, 1)


def test_variants_are_edited_with_the_products_optimistic_locking(bus: Bus) -> None:
    given_a_shop()
    shoe = given_a_product(stock=0, variants=SHOE_VARIANTS)
    one = [{"sku": "only", "color": "red", "stock": 4}]
    edited = products.update_product(
        SELLER,
        shoe.product_id,
        ProductPatch.model_validate({"version": shoe.version, "variants": one}),
    )
    assert ([v.sku for v in edited.variants], edited.stock) == (["only"], 4)
    with pytest.raises(StaleVersionError):
        products.update_product(
            SELLER,
            shoe.product_id,
            ProductPatch.model_validate({"version": shoe.version, "variants": one}),
        )
    with pytest.raises(ValidationFailedError):  # its stock is its variants'
        products.update_product(
            SELLER,
            shoe.product_id,
            ProductPatch.model_validate({"version": edited.version, "stock": 9}),
        )
    plain = products.update_product(
        SELLER,
        shoe.product_id,
        ProductPatch.model_validate({"version": edited.version, "variants": []}),
    )
    assert (plain.variants, products.buyable_product(shoe.product_id).stock) == ((), 4)
    with pytest.raises(ValueError, match="its own sku"):
        ProductPatch.model_validate(
            {"version": 1, "variants": [{"color": "red", "stock": 1}, {"color": "red", "stock": 2}]}
        )
