"""The cart's use cases on the in-memory cart and catalog repositories (no moto).

The catalog is reached through its service, as in production; its data is stored
through the catalog's repository (the fake), as a seller's use cases would.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.cart import service
from chalicelib.cart.domain import LineProblem, PriceChange
from chalicelib.catalog.domain import Product, ProductOffer, ProductStatus
from chalicelib.catalog.errors import DiscountRejectedError, OutOfStockError
from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ConflictError, NotFoundError
from tests.fakes.cart import InMemoryCartRepository
from tests.fakes.catalog import (
    Bus,
    InMemoryCatalogRepository,
    make_code,
    make_product,
    make_shop,
    redeem,
)

pytestmark = pytest.mark.usefixtures("catalog_repo", "cart_repo", "bus")

ANN = Caller(account_id="ann", role=Role.USER)
BOB = Caller(account_id="bob", role=Role.USER)


@pytest.fixture
def catalog(catalog_repo: InMemoryCatalogRepository) -> dict[str, Product]:
    """A shop with boots (5000, 3 in stock) and a lamp (1000, 9), and another shop's mug."""
    shop = catalog_repo.add_shop(make_shop("shop-1", "seller-1"))
    other = catalog_repo.add_shop(make_shop("shop-2", "seller-2"))
    return {
        "boots": catalog_repo.add_product(make_product("boots", shop, stock=3)),
        "lamp": catalog_repo.add_product(make_product("lamp", shop, regular_price=1000, stock=9)),
        "mug": catalog_repo.add_product(make_product("mug", other, regular_price=900)),
    }


def seller_changes(catalog_repo: InMemoryCatalogRepository, product_id: str, **values: Any) -> None:
    product = catalog_repo.product(product_id)
    assert product is not None
    catalog_repo.save_product(replace(product, **values), old_slug=product.slug)


def test_lines_are_checked_against_live_stock_and_limits(catalog: dict[str, Product]) -> None:
    # Given two boots in the cart
    cart = service.add_item(ANN, "boots", 2)
    assert (cart.subtotal, cart.lines[0].unit_price, cart.checkout_ready) == (10_000, 5000, True)
    # When more than the stock is asked for, it is refused with what is left
    with pytest.raises(OutOfStockError) as short:
        service.add_item(ANN, "boots", 2)
    assert short.value.details == {"product_id": "boots", "available": 3, "requested": 4}
    with pytest.raises(OutOfStockError):
        service.set_quantity(ANN, "boots", 4)
    # And absurd quantities, unknown products and lines not in the cart are refused
    with pytest.raises(ConflictError, match="At most 99"):
        service.add_item(ANN, "lamp", 100)
    with pytest.raises(NotFoundError):
        service.add_item(ANN, "ghost", 1)
    with pytest.raises(NotFoundError):
        service.set_quantity(ANN, "lamp", 2)
    assert [line.product_id for line in service.set_quantity(ANN, "boots", 0).lines] == []


def test_a_cart_holds_a_bounded_number_of_lines(
    catalog_repo: InMemoryCatalogRepository,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from chalicelib.core.settings import reset_settings

    monkeypatch.setenv("BAZAAR_CART_MAX_LINES", "2")
    reset_settings()
    request.addfinalizer(reset_settings)
    shop = catalog_repo.add_shop(make_shop())
    for name in ("a", "b", "c"):
        catalog_repo.add_product(make_product(name, shop))
    service.add_item(ANN, "a", 1)
    service.add_item(ANN, "b", 1)
    with pytest.raises(ConflictError, match="at most 2 different products"):
        service.add_item(ANN, "c", 1)
    service.add_item(ANN, "a", 1)  # more of a product already there is fine


def test_every_view_reprices_from_the_catalog(
    catalog: dict[str, Product], catalog_repo: InMemoryCatalogRepository
) -> None:
    service.add_item(ANN, "boots", 2)
    service.add_item(ANN, "lamp", 1)
    # When the seller puts the boots on sale with one left, and an offer on the lamp
    seller_changes(catalog_repo, "boots", sale_price=4000, stock=1)
    now = clock.now()
    lamp = catalog_repo.product("lamp")
    assert lamp is not None
    catalog_repo.set_product_offer(
        lamp, ProductOffer("o", "Flash", 25, now - timedelta(minutes=1), now + timedelta(hours=1))
    )
    # Then the cart shows both at once
    cart = service.get_cart(ANN)
    boots, lamp_line = cart.lines
    assert (boots.unit_price, boots.list_price, boots.problem) == (
        4000,
        4000,
        LineProblem.INSUFFICIENT_STOCK,
    )
    assert (lamp_line.unit_price, lamp_line.on_offer, lamp_line.problem) == (750, True, None)
    assert (cart.subtotal, cart.checkout_ready) == (750, False)
    # A sold-out or deleted product is reported, never priced
    seller_changes(catalog_repo, "boots", stock=0)
    assert service.get_cart(ANN).lines[0].problem == LineProblem.OUT_OF_STOCK
    gone = catalog_repo.product("lamp")
    assert gone is not None
    catalog_repo.set_product_deleted(gone, deleted_at=now, purge_after=now)
    lamp_line = service.get_cart(ANN).lines[1]
    assert (lamp_line.problem, lamp_line.line_total, lamp_line.available) == (
        LineProblem.UNAVAILABLE,
        0,
        False,
    )
    assert service.remove_item(ANN, "lamp").lines[0].product_id == "boots"


def test_codes_are_checked_against_the_cart_and_reported_when_they_stop_applying(
    catalog: dict[str, Product], catalog_repo: InMemoryCatalogRepository
) -> None:
    catalog_repo.add_code(make_code("SAVE10", "shop-1", min_order=3000, per_user_limit=1))
    service.add_item(ANN, "mug", 1)
    with pytest.raises(DiscountRejectedError) as elsewhere:
        service.apply_code(ANN, "SAVE10")
    assert elsewhere.value.rule == "not_applicable"
    service.add_item(ANN, "lamp", 1)
    with pytest.raises(DiscountRejectedError) as small:
        service.apply_code(ANN, "save10")
    assert small.value.rule == "below_minimum"
    service.set_quantity(ANN, "lamp", 4)
    cart = service.apply_code(ANN, "save10")
    assert (cart.code, cart.subtotal, cart.discount_amount, cart.total) == (
        "SAVE10",
        4900,
        400,
        4500,
    )
    # Used at a checkout, the code stays on the cart but no longer applies
    redeem("SAVE10", user_id="ann", shop_subtotals=cart.shop_subtotals)
    cart = service.get_cart(ANN)
    assert cart.discount is None
    assert cart.discount_error is not None
    assert (cart.discount_error["rule"], cart.discount_error["code"]) == (
        "per_user_limit",
        "DISCOUNT_PER_USER_LIMIT",
    )
    assert service.remove_code(ANN).code is None


def test_a_paid_checkout_takes_only_what_it_bought_once(
    catalog: dict[str, Product],
    catalog_repo: InMemoryCatalogRepository,
    cart_repo: InMemoryCartRepository,
) -> None:
    catalog_repo.add_code(make_code("CARTCODE", "shop-1"))
    service.add_item(ANN, "lamp", 2)
    service.add_item(ANN, "boots", 1)
    service.apply_code(ANN, "CARTCODE")
    bought = {"lamp": 2, "boots": 1}
    # While the checkout runs the shopper adds another pair of boots and a mug
    service.add_item(ANN, "boots", 1)
    service.add_item(ANN, "mug", 1)
    assert service.remove_bought("ann", "co-1", bought, "CARTCODE") is True
    assert service.remove_bought("ann", "co-1", bought, "CARTCODE") is False
    cart = service.get_cart(ANN)
    assert {line.product_id: line.quantity for line in cart.lines} == {"boots": 1, "mug": 1}
    assert cart.code is None


def test_a_cart_that_keeps_changing_is_given_up(
    catalog: dict[str, Product], cart_repo: InMemoryCartRepository
) -> None:
    service.add_item(ANN, "lamp", 2)
    real = cart_repo.lines

    def lines_then_a_change(user_id: str) -> Any:
        read = real(user_id)
        cart_repo.save_line(user_id, "lamp", read[0].quantity + 1, now=clock.now())
        return read

    cart_repo.lines = lines_then_a_change  # type: ignore[method-assign]
    with pytest.raises(ConflictError, match="keeps changing"):
        service.remove_bought("ann", "co-2", {"lamp": 1}, None)


def test_the_wishlist_saves_each_product_once_and_counts_interest(
    catalog: dict[str, Product], catalog_repo: InMemoryCatalogRepository, bus: Bus
) -> None:
    service.wish(ANN, "lamp")
    service.wish(ANN, "lamp")
    with pytest.raises(NotFoundError):
        service.wish(ANN, "ghost")
    ((entry, card),) = service.wishlist(ANN)
    assert (entry.product_id, card is not None and card.price) == ("lamp", 1000)
    lamp = catalog_repo.product("lamp")
    assert lamp is not None
    assert (lamp.popularity, lamp.version) == (1, 1)
    # A product deleted later stays in the list, without a card
    catalog_repo.set_product_deleted(lamp, deleted_at=clock.now(), purge_after=clock.now())
    assert service.wishlist(ANN)[0][1] is None
    service.unwish(ANN, "lamp")
    service.unwish(ANN, "lamp")
    assert service.wishlist(ANN) == []
    stored = catalog_repo.product("lamp")
    assert stored is not None
    assert (stored.popularity, stored.status) == (0, ProductStatus.DELETED)
    assert bus.names().count("product.updated") == 2


def test_a_wishlist_holds_at_most_200_products(
    catalog: dict[str, Product], cart_repo: InMemoryCartRepository
) -> None:
    for n in range(service.WISHLIST_MAX):
        cart_repo.add_wish("ann", f"p-{n:03d}", now=clock.now())
    with pytest.raises(ConflictError, match="at most 200"):
        service.wish(ANN, "lamp")


def test_untouched_carts_are_reported_abandoned_once(catalog: dict[str, Product], bus: Bus) -> None:
    with clock.controlled() as manual:
        service.add_item(ANN, "lamp", 2)
        service.add_item(BOB, "lamp", 1)
        manual.advance(hours=23)
        service.add_item(BOB, "lamp", 1)
        manual.advance(hours=2)
        assert service.report_abandoned() == {"checked": 1, "reported": 1}
        assert service.report_abandoned() == {"checked": 0, "reported": 0}
        (event,) = [e for e in bus.events if e.name == "cart.abandoned"]
        assert (event.user_id, event.lines, event.units, event.subtotal) == ("ann", 1, 2, 2000)  # type: ignore[attr-defined]
        # Touching the cart re-opens it; it can be reported again after another idle day
        service.set_quantity(ANN, "lamp", 1)
        manual.advance(days=2)
        assert service.report_abandoned()["reported"] == 2


def test_a_bus_failure_is_counted_as_the_carts_not_the_catalogs(
    catalog: dict[str, Product], bus: Bus
) -> None:
    with clock.controlled() as manual:
        service.add_item(ANN, "lamp", 1)
        manual.advance(days=2)
        bus.down = True
        assert service.report_abandoned()["reported"] == 1
    assert bus.metrics == ["CartEventsNotPublished"]


def test_a_line_whose_price_moved_since_it_was_added_is_flagged(
    catalog_repo: InMemoryCatalogRepository, catalog: dict[str, Product]
) -> None:
    # Given a lamp added at 1000
    service.add_item(ANN, "lamp", 1)
    assert service.get_cart(ANN).lines[0].price_changed is None
    # When the seller raises its price
    seller_changes(catalog_repo, "lamp", regular_price=1200)
    # Then the line says so, old and new, and is priced at the new price
    (line,) = service.get_cart(ANN).lines
    assert (line.unit_price, line.price_changed) == (1200, PriceChange(old=1000, new=1200))
    # When the shopper changes the line, they have seen the new price: no flag any more
    service.set_quantity(ANN, "lamp", 2)
    assert service.get_cart(ANN).lines[0].price_changed is None
