"""Cart, wishlist and discount codes: live stock and prices, every code rule, abandonment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.fakes.catalog import redeem, redeem_prepared
from tests.integration.catalog.conftest import World, product_body


def code_body(**overrides: Any) -> Any:
    from chalicelib.catalog.schemas import DiscountCodeInput
    from chalicelib.core import clock

    now = clock.now()
    data: dict[str, Any] = {
        "code": "SAVE10",
        "kind": "percent",
        "value": 10,
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }
    data.update(overrides)
    return DiscountCodeInput.model_validate(data)


def rule_of(action: Any) -> str:
    from chalicelib.catalog.errors import DiscountRejectedError

    with pytest.raises(DiscountRejectedError) as rejected:
        action()
    assert rejected.value.code == f"DISCOUNT_{rejected.value.rule.upper()}"
    return rejected.value.rule


def test_cart_checks_live_stock_and_rereads_prices(world: World) -> None:
    from chalicelib.cart import service
    from chalicelib.catalog.errors import OutOfStockError
    from chalicelib.catalog.schemas import OfferInput, ProductPatch
    from chalicelib.catalog.service import offers, products
    from chalicelib.core import clock

    seller, _ = world.seller_with_shop()
    shopper = world.person("user")
    boots = products.create_product(seller.caller, product_body(regular_price=5000, stock=3))
    cart = service.add_item(shopper.caller, boots.product_id, 2)
    assert (cart.subtotal, cart.lines[0].unit_price, cart.checkout_ready) == (10_000, 5000, True)
    with pytest.raises(OutOfStockError) as short:
        service.add_item(shopper.caller, boots.product_id, 2)
    assert short.value.details == {"product_id": boots.product_id, "available": 3, "requested": 4}
    with pytest.raises(OutOfStockError):
        service.set_quantity(shopper.caller, boots.product_id, 4)

    # The seller changes the price and stock; the cart shows it at once.
    products.update_product(
        seller.caller,
        boots.product_id,
        ProductPatch(version=1, sale_price=4000, stock=1),
    )
    cart = service.get_cart(shopper.caller)
    line = cart.lines[0]
    assert (line.unit_price, line.problem, cart.checkout_ready) == (
        4000,
        "insufficient_stock",
        False,
    )
    now = clock.now()
    offers.create_offer(
        seller.caller,
        OfferInput(
            name="Flash",
            percent_off=25,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            product_ids=[boots.product_id],
        ),
    )
    cart = service.set_quantity(shopper.caller, boots.product_id, 1)
    assert (cart.lines[0].unit_price, cart.lines[0].on_offer, cart.total) == (3000, True, 3000)
    products.delete_product(seller.caller, boots.product_id)
    cart = service.get_cart(shopper.caller)
    assert (cart.lines[0].problem, cart.total) == ("unavailable", 0)
    assert service.remove_item(shopper.caller, boots.product_id).lines == []


def test_every_discount_rule_is_named(world: World) -> None:
    from chalicelib.cart import service
    from chalicelib.catalog.service import discounts, products
    from chalicelib.core import clock
    from chalicelib.core.errors import ConflictError

    seller, shop = world.seller_with_shop()
    other_seller, _ = world.seller_with_shop()
    shopper = world.person("user")
    shoes = products.create_product(seller.caller, product_body(regular_price=2000, stock=50))
    elsewhere = products.create_product(other_seller.caller, product_body(regular_price=900))
    now = clock.now()
    discounts.create_code(seller.caller, code_body(code="save10", min_order=3000, per_user_limit=1))
    discounts.create_code(
        seller.caller, code_body(code="FIVER", kind="fixed", value=500, max_uses=1)
    )
    discounts.create_code(
        seller.caller,
        code_body(
            code="OLD",
            ends_at=(now - timedelta(hours=1)).isoformat(),
            starts_at=(now - timedelta(days=3)).isoformat(),
        ),
    )
    discounts.create_code(
        seller.caller,
        code_body(
            code="SOON",
            starts_at=(now + timedelta(hours=1)).isoformat(),
            ends_at=(now + timedelta(days=3)).isoformat(),
        ),
    )
    with pytest.raises(ConflictError):
        discounts.create_code(other_seller.caller, code_body(code="Save10"))

    service.add_item(shopper.caller, elsewhere.product_id, 1)
    assert rule_of(lambda: service.apply_code(shopper.caller, "NOPE")) == "unknown"
    assert rule_of(lambda: service.apply_code(shopper.caller, "SAVE10")) == "not_applicable"
    service.add_item(shopper.caller, shoes.product_id, 1)
    assert rule_of(lambda: service.apply_code(shopper.caller, "save10")) == "below_minimum"
    assert rule_of(lambda: service.apply_code(shopper.caller, "OLD")) == "expired"
    assert rule_of(lambda: service.apply_code(shopper.caller, "SOON")) == "not_started"

    service.set_quantity(shopper.caller, shoes.product_id, 2)
    cart = service.apply_code(shopper.caller, "save10")
    assert (cart.subtotal, cart.discount_amount, cart.total) == (4900, 400, 4500)
    assert cart.discount is not None
    assert cart.discount.eligible_subtotal == 4000

    # Redeemed at checkout: the per-user limit then applies, to the cart too.
    redeem("SAVE10", user_id=shopper.account_id, shop_subtotals=cart.shop_subtotals)
    cart = service.get_cart(shopper.caller)
    assert cart.discount is None
    assert cart.discount_error is not None
    assert cart.discount_error["rule"] == "per_user_limit"
    discounts.release("SAVE10", user_id=shopper.account_id)
    assert service.get_cart(shopper.caller).discount_amount == 400

    # One use overall: the first redemption wins, the second is told the code is used up.
    redeem("FIVER", user_id=shopper.account_id, shop_subtotals={shop.shop_id: 4000})
    second = world.person("user")
    service.add_item(second.caller, shoes.product_id, 1)
    assert rule_of(lambda: service.apply_code(second.caller, "FIVER")) == "exhausted"
    assert (
        rule_of(
            lambda: redeem("FIVER", user_id=second.account_id, shop_subtotals={shop.shop_id: 4000})
        )
        == "exhausted"
    )

    discounts.deactivate_code(seller.caller, "SAVE10")
    assert rule_of(lambda: service.apply_code(shopper.caller, "SAVE10")) == "inactive"


def test_absurd_quantities_and_limits(world: World) -> None:
    from chalicelib.cart import service
    from chalicelib.catalog.service import products
    from chalicelib.core.errors import ConflictError, NotFoundError

    seller, _ = world.seller_with_shop()
    shopper = world.person("user")
    product = products.create_product(seller.caller, product_body(stock=500))
    with pytest.raises(ConflictError, match="At most 99"):
        service.add_item(shopper.caller, product.product_id, 100)
    with pytest.raises(NotFoundError):
        service.add_item(shopper.caller, "ghost", 1)
    with pytest.raises(NotFoundError):
        service.set_quantity(shopper.caller, product.product_id, 2)


def test_wishlist_adds_removes_and_counts_popularity(world: World) -> None:
    from chalicelib.cart import service
    from chalicelib.catalog.service import products

    seller, _ = world.seller_with_shop()
    shopper = world.person("user")
    product = products.create_product(seller.caller, product_body())
    service.wish(shopper.caller, product.product_id)
    service.wish(shopper.caller, product.product_id)
    listed = service.wishlist(shopper.caller)
    assert [entry.product_id for entry, _ in listed] == [product.product_id]
    stored = products.get_product(product.product_id)
    assert stored is not None
    assert stored.popularity == 1
    assert stored.version == 1
    service.unwish(shopper.caller, product.product_id)
    service.unwish(shopper.caller, product.product_id)
    assert service.wishlist(shopper.caller) == []
    assert products.get_product(product.product_id).popularity == 0  # type: ignore[union-attr]


def test_untouched_carts_are_reported_abandoned_once(world: World) -> None:
    from chalicelib.cart import service
    from chalicelib.catalog.service import products
    from chalicelib.core import clock

    seller, _ = world.seller_with_shop()
    idle, busy = world.person("user"), world.person("user")
    product = products.create_product(seller.caller, product_body(regular_price=1500))
    with clock.controlled() as manual:
        service.add_item(idle.caller, product.product_id, 2)
        service.add_item(busy.caller, product.product_id, 1)
        manual.advance(hours=23)
        service.add_item(busy.caller, product.product_id, 1)
        world.drain("EventArchiveQueue")
        manual.advance(hours=2)
        assert service.report_abandoned() == {"checked": 1, "reported": 1}
        assert service.report_abandoned() == {"checked": 0, "reported": 0}
        events = [
            e for e in world.drain("EventArchiveQueue") if e["detail-type"] == "cart.abandoned"
        ]
        assert [e["detail"]["data"]["user_id"] for e in events] == [idle.account_id]
        assert events[0]["detail"]["data"]["subtotal"] == 3000
        # Touching the cart re-opens it; it can be reported again after another idle day.
        service.set_quantity(idle.caller, product.product_id, 1)
        manual.advance(days=2)
        assert service.report_abandoned()["reported"] == 2


def test_two_checkouts_prepared_for_the_last_use_only_one_counts(world: World) -> None:
    from chalicelib.catalog.service import discounts, products

    seller, shop = world.seller_with_shop()
    products.create_product(seller.caller, product_body(regular_price=4000, stock=9))
    discounts.create_code(seller.caller, code_body(code="LAST1", max_uses=1))
    first, second = world.person("user"), world.person("user")
    subtotals = {shop.shop_id: 4000}
    # Both pass every rule before either writes (two checkouts at the same instant).
    one = discounts.prepare_redemption("LAST1", user_id=first.account_id, shop_subtotals=subtotals)
    two = discounts.prepare_redemption("LAST1", user_id=second.account_id, shop_subtotals=subtotals)
    assert redeem_prepared(one) == one.applied
    assert rule_of(lambda: redeem_prepared(two)) == "exhausted"
    code = discounts.get_code("LAST1")
    assert code is not None
    assert int(code.used) == 1


def test_a_paid_checkout_takes_only_what_it_bought_out_of_the_cart_once(world: World) -> None:
    from chalicelib.cart import service
    from chalicelib.catalog.service import discounts, products

    seller, shop = world.seller_with_shop()
    lamp, mug, rug = (
        products.create_product(seller.caller, product_body(regular_price=1000, stock=9))
        for _ in range(3)
    )
    discounts.create_code(seller.caller, code_body(code="CARTCODE"))
    shopper = world.person("user")
    service.add_item(shopper.caller, lamp.product_id, 2)
    service.add_item(shopper.caller, mug.product_id, 1)
    service.apply_code(shopper.caller, "CARTCODE")
    bought = {lamp.product_id: 2, mug.product_id: 1}
    # While the checkout runs the shopper adds another mug and a rug.
    service.add_item(shopper.caller, mug.product_id, 1)
    service.add_item(shopper.caller, rug.product_id, 1)

    assert service.remove_bought(shopper.account_id, "co-1", bought, "CARTCODE") is True
    assert service.remove_bought(shopper.account_id, "co-1", bought, "CARTCODE") is False

    cart = service.get_cart(shopper.caller)
    left = {line.product_id: line.quantity for line in cart.lines}
    assert left == {mug.product_id: 1, rug.product_id: 1}
    assert cart.code is None
    assert shop.shop_id
