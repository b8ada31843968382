"""Cart and wishlist use cases. Prices and stock are read live from the catalog, always.

The client sends product ids and quantities only; every view of the cart re-reads each
product through the catalog (one batch read), so a price change, an offer, a sold-out
product or a deleted one shows at once, and a discount code is re-checked against its
rules. The catalog is reached only through ``chalicelib.catalog.service``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.cart import repository
from chalicelib.cart.domain import BoughtRemoval, LineProblem, PriceChange, WishlistEntry
from chalicelib.cart.domain import PricedCart as PricedCart
from chalicelib.cart.domain import PricedLine as PricedLine
from chalicelib.cart.events import CartAbandoned
from chalicelib.catalog import service as catalog
from chalicelib.catalog.errors import DiscountRejectedError
from chalicelib.core import clock, events
from chalicelib.core.caller import Caller
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.core.settings import get_settings

WISHLIST_MAX = 200
BOUGHT_RECEIPT_DAYS = 30
BOUGHT_ATTEMPTS = 5


def price_lines(lines: list[tuple[str, str | None, int]], now: datetime) -> list[PricedLine]:
    """``(product id, sku or None, quantity)`` lines as the catalog says they are at
    ``now`` (a variant's own stock and price)."""
    keys = [catalog.stock_key(product_id, sku) for product_id, sku, _ in lines]
    found = catalog.products_for_cart(keys, now=now)
    out: list[PricedLine] = []
    for (product_id, sku, quantity), key in zip(lines, keys, strict=True):
        product = found[key]
        if not product.available:
            out.append(PricedLine(product_id, quantity, problem=LineProblem.UNAVAILABLE, sku=sku))
            continue
        problem = None
        if product.stock <= 0:
            problem = LineProblem.OUT_OF_STOCK
        elif quantity > product.stock:
            problem = LineProblem.INSUFFICIENT_STOCK
        out.append(
            PricedLine(
                product_id=product_id,
                quantity=quantity,
                title=product.title,
                shop_id=product.shop_id,
                unit_price=product.unit_price,
                list_price=product.list_price,
                on_offer=product.on_offer,
                stock=product.stock,
                available=True,
                problem=problem,
                thumbnail_key=product.thumbnail_key,
                sku=sku,
                color=product.color,
                size=product.size,
            )
        )
    return out


def _flag_price_change(priced: PricedLine, seen: int | None) -> PricedLine:
    """``priced`` with ``price_changed`` when its price differs from the one the shopper
    saw when they last added or changed the line."""
    if seen is None or not priced.available or priced.unit_price == seen:
        return priced
    return replace(priced, price_changed=PriceChange(old=seen, new=priced.unit_price))


def get_cart(caller: Caller) -> PricedCart:
    """The caller's cart priced now; a code that no longer applies is reported, not used."""
    now = clock.now()
    repo = repository.get()
    header = repo.header(caller.account_id)
    lines = sorted(repo.lines(caller.account_id), key=lambda line: line.added_at)
    priced = price_lines([(line.product_id, line.sku, line.quantity) for line in lines], now)
    cart = PricedCart(
        user_id=caller.account_id,
        lines=[
            _flag_price_change(line, stored.unit_price)
            for line, stored in zip(priced, lines, strict=True)
        ],
        code=header.code if header else None,
        currency=get_settings().currency,
        updated_at=header.updated_at if header else None,
    )
    if cart.code:
        try:
            cart.discount = catalog.evaluate_code(
                cart.code, user_id=caller.account_id, shop_subtotals=cart.shop_subtotals, now=now
            )
        except DiscountRejectedError as rejected:
            cart.discount_error = {
                "code": rejected.code,
                "rule": rejected.rule,
                "message": rejected.message,
            }
    return cart


def add_item(caller: Caller, product_id: str, quantity: int, sku: str | None = None) -> PricedCart:
    """Add ``quantity`` units of a product (of its variant ``sku``; a product with
    variants needs one) on top of any already in the cart, within live stock."""
    settings = get_settings()
    product = catalog.buyable_product(product_id, sku=sku)
    repo = repository.get()
    line = repo.line(caller.account_id, product_id, sku)
    existing = line.quantity if line else 0
    if line is None and len(repo.lines(caller.account_id)) >= settings.cart_max_lines:
        raise ConflictError(f"A cart holds at most {settings.cart_max_lines} different products")
    wanted = existing + quantity
    if wanted > settings.cart_quantity_max:
        raise ConflictError(
            f"At most {settings.cart_quantity_max} units of one product per cart",
            details={"limit": settings.cart_quantity_max, "in_cart": existing},
        )
    catalog.check_stock(product, wanted)
    _save_line(caller.account_id, product_id, wanted, product.unit_price, sku)
    return get_cart(caller)


def _save_line(
    user_id: str, product_id: str, quantity: int, unit_price: int, sku: str | None = None
) -> None:
    repo = repository.get()
    repo.save_line(user_id, product_id, quantity, now=clock.now(), unit_price=unit_price, sku=sku)
    repo.touch(user_id, now=clock.now())


def set_quantity(
    caller: Caller, product_id: str, quantity: int, sku: str | None = None
) -> PricedCart:
    """Set a line's quantity (0 removes it), within live stock."""
    if quantity == 0:
        return remove_item(caller, product_id, sku)
    if repository.get().line(caller.account_id, product_id, sku) is None:
        raise NotFoundError("That product is not in your cart")
    product = catalog.buyable_product(product_id, sku=sku)
    catalog.check_stock(product, quantity)
    _save_line(caller.account_id, product_id, quantity, product.unit_price, sku)
    return get_cart(caller)


def remove_item(caller: Caller, product_id: str, sku: str | None = None) -> PricedCart:
    """Take a product (its variant ``sku``) out of the cart (idempotent)."""
    repo = repository.get()
    repo.delete_line(caller.account_id, product_id, sku)
    repo.touch(caller.account_id, now=clock.now())
    return get_cart(caller)


def apply_code(caller: Caller, code: str) -> PricedCart:
    """Apply a discount code to the cart; DiscountRejectedError names the broken rule."""
    cart = get_cart(caller)
    applied = catalog.evaluate_code(
        code, user_id=caller.account_id, shop_subtotals=cart.shop_subtotals
    )
    repository.get().set_code(caller.account_id, applied.code, now=clock.now())
    return get_cart(caller)


def remove_code(caller: Caller) -> PricedCart:
    repository.get().set_code(caller.account_id, None, now=clock.now())
    return get_cart(caller)


def remove_bought(user_id: str, checkout_id: str, bought: dict[str, int], code: str | None) -> bool:
    """Take a paid checkout's units (by line key: ``product`` or ``product#sku``) out of
    the cart, once; False if already done.

    Only what was bought leaves: lines added or raised while the checkout ran stay. One
    transaction writes the lines and a receipt for the checkout, conditional on the
    quantities read, so a shopper's edit meanwhile makes it read again (bounded).
    """
    repo = repository.get()
    expires_at = clock.epoch(clock.now()) + BOUGHT_RECEIPT_DAYS * 86_400
    for _ in range(BOUGHT_ATTEMPTS):
        outcome = repo.remove_bought(
            user_id, checkout_id, bought, repo.lines(user_id), expires_at=expires_at
        )
        if outcome is BoughtRemoval.ALREADY_DONE:
            return False  # an earlier attempt did it
        if outcome is BoughtRemoval.DONE:
            if code:
                repo.drop_code(user_id, code)
            repo.touch(user_id, now=clock.now())
            return True
        # a line changed meanwhile: read again
    raise ConflictError("The cart keeps changing; try again")


# ---------- wishlist ----------
def wishlist(caller: Caller) -> list[tuple[WishlistEntry, catalog.ProductCard | None]]:
    """Saved products, newest first, with their card (None if gone or deleted)."""
    entries = sorted(
        repository.get().wishlist(caller.account_id), key=lambda e: e.added_at, reverse=True
    )
    cards = catalog.cards([entry.product_id for entry in entries])
    return [(entry, cards.get(entry.product_id)) for entry in entries]


def wish(caller: Caller, product_id: str) -> None:
    """Save a visible product for later (idempotent)."""
    catalog.buyable_product(product_id)
    repo = repository.get()
    entries = repo.wishlist(caller.account_id, limit=WISHLIST_MAX + 1)
    if any(entry.product_id == product_id for entry in entries):
        return
    if len(entries) >= WISHLIST_MAX:
        raise ConflictError(f"A wishlist holds at most {WISHLIST_MAX} products")
    repo.add_wish(caller.account_id, product_id, now=clock.now())
    catalog.bump_popularity(product_id, 1)


def unwish(caller: Caller, product_id: str) -> None:
    """Remove a product from the wishlist (idempotent)."""
    if repository.get().remove_wish(caller.account_id, product_id):
        catalog.bump_popularity(product_id, -1)


# ---------- abandoned carts ----------
def report_abandoned(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Mark carts untouched for the configured time as abandoned and announce each.

    Reads the oldest open carts by last activity (bounded by ``limit``); a cart touched
    meanwhile is skipped by the conditional write.
    """
    now = now or clock.now()
    settings = get_settings()
    cutoff = now - timedelta(seconds=settings.cart_abandoned_after_seconds)
    repo = repository.get()
    stale = repo.idle_carts(cutoff, limit=limit)
    reported = 0
    for user_id in stale:
        header = repo.header(user_id)
        if header is None:
            continue
        lines = repo.lines(user_id)
        if not repo.mark_abandoned(header, now=now) or not lines:
            continue
        priced = price_lines([(line.product_id, line.sku, line.quantity) for line in lines], now)
        events.publish(CartAbandoned.of(header, priced, settings.currency), best_effort=True)
        reported += 1
    return {"checked": len(stale), "reported": reported}
