"""Cart and wishlist use cases. Prices and stock are read live from the catalog, always.

The client sends product ids and quantities only; every view of the cart re-reads each
product (one BatchGetItem), so a price change, an offer, a sold-out product or a
deleted one shows at once, and a discount code is re-checked against its rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.cart.events import CartAbandoned
from chalicelib.cart.models import (
    ABANDONED_CARTS,
    BOUGHT_PREFIX,
    ITEM_PREFIX,
    META_SK,
    OPEN_CARTS,
    BoughtReceipt,
    CartHeader,
    CartLine,
    WishlistEntry,
    cart_pk,
    item_sk,
    wish_pk,
)
from chalicelib.catalog import service as catalog
from chalicelib.catalog.errors import DiscountRejectedError
from chalicelib.core import clock, events
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import transaction_connection
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.core.settings import get_settings

WISHLIST_MAX = 200
BOUGHT_RECEIPT_DAYS = 30


@dataclass
class PricedLine:
    """A cart line as the catalog says it is right now."""

    product_id: str
    quantity: int
    title: str | None = None
    shop_id: str | None = None
    unit_price: int = 0
    list_price: int = 0
    on_offer: bool = False
    stock: int = 0
    available: bool = False
    problem: str | None = None
    thumbnail_key: str | None = None

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity if self.available and not self.problem else 0


@dataclass
class PricedCart:
    """A cart priced now, with its code's result."""

    user_id: str
    lines: list[PricedLine] = field(default_factory=list)
    code: str | None = None
    discount: catalog.AppliedDiscount | None = None
    discount_error: dict[str, Any] | None = None
    currency: str = "USD"
    updated_at: datetime | None = None

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def shop_subtotals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines:
            if line.shop_id and line.line_total:
                totals[line.shop_id] = totals.get(line.shop_id, 0) + line.line_total
        return totals

    @property
    def discount_amount(self) -> int:
        return self.discount.amount if self.discount else 0

    @property
    def total(self) -> int:
        return max(0, self.subtotal - self.discount_amount)

    @property
    def checkout_ready(self) -> bool:
        return bool(self.lines) and all(line.problem is None for line in self.lines)


def _activity_key(moment: datetime, user_id: str) -> str:
    return f"{clock.iso(moment)}#{user_id}"


def _touch(user_id: str, **changes: Any) -> None:
    """Record activity on the cart (re-opens an abandoned one)."""
    now = clock.now()
    actions: list[Action] = [
        CartHeader.user_id.set(user_id),
        CartHeader.updated_at.set(now),
        CartHeader.gsi1pk.set(OPEN_CARTS),
        CartHeader.gsi1sk.set(_activity_key(now, user_id)),
        CartHeader.abandoned_at.remove(),
    ]
    for name, value in changes.items():
        attribute = getattr(CartHeader, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    CartHeader(pk=cart_pk(user_id), sk=META_SK).update(actions=actions)


def _header(user_id: str) -> CartHeader | None:
    try:
        return CartHeader.get(cart_pk(user_id), META_SK, consistent_read=True)
    except CartHeader.DoesNotExist:
        return None


def _lines(user_id: str) -> list[CartLine]:
    return list(
        CartLine.query(cart_pk(user_id), CartLine.sk.startswith(ITEM_PREFIX), consistent_read=True)
    )


def _price_lines(lines: list[tuple[str, int]], now: datetime) -> list[PricedLine]:
    found = catalog.products_for_cart([product_id for product_id, _ in lines], now=now)
    out: list[PricedLine] = []
    for product_id, quantity in lines:
        line = PricedLine(product_id=product_id, quantity=quantity)
        product = found[product_id]
        if not product.available:
            line.problem = "unavailable"
            out.append(line)
            continue
        line.title = product.title
        line.shop_id = product.shop_id
        line.stock = product.stock
        line.list_price = product.list_price
        line.unit_price = product.unit_price
        line.on_offer = product.on_offer
        line.available = True
        line.thumbnail_key = product.thumbnail_key
        if line.stock <= 0:
            line.problem = "out_of_stock"
        elif quantity > line.stock:
            line.problem = "insufficient_stock"
        out.append(line)
    return out


def get_cart(actor: Caller) -> PricedCart:
    """The actor's cart priced now; a code that no longer applies is reported, not used."""
    now = clock.now()
    header = _header(actor.account_id)
    lines = sorted(_lines(actor.account_id), key=lambda line: line.added_at)
    cart = PricedCart(
        user_id=actor.account_id,
        lines=_price_lines([(line.product_id, int(line.quantity)) for line in lines], now),
        code=header.code if header else None,
        currency=get_settings().currency,
        updated_at=header.updated_at if header else None,
    )
    if cart.code:
        try:
            cart.discount = catalog.evaluate_code(
                cart.code, user_id=actor.account_id, shop_subtotals=cart.shop_subtotals, now=now
            )
        except DiscountRejectedError as rejected:
            cart.discount_error = {
                "code": rejected.code,
                "rule": rejected.rule,
                "message": rejected.message,
            }
    return cart


def add_item(actor: Caller, product_id: str, quantity: int) -> PricedCart:
    """Add ``quantity`` units (on top of any already in the cart), within live stock."""
    settings = get_settings()
    product = catalog.buyable_product(product_id)
    try:
        existing = int(CartLine.get(cart_pk(actor.account_id), item_sk(product_id)).quantity)
    except CartLine.DoesNotExist:
        existing = 0
        if len(_lines(actor.account_id)) >= settings.cart_max_lines:
            raise ConflictError(
                f"A cart holds at most {settings.cart_max_lines} different products"
            ) from None
    wanted = existing + quantity
    if wanted > settings.cart_quantity_max:
        raise ConflictError(
            f"At most {settings.cart_quantity_max} units of one product per cart",
            details={"limit": settings.cart_quantity_max, "in_cart": existing},
        )
    catalog.check_stock(product, wanted)
    _save_line(actor.account_id, product_id, wanted)
    return get_cart(actor)


def _save_line(user_id: str, product_id: str, quantity: int) -> None:
    now = clock.now()
    line = CartLine(pk=cart_pk(user_id), sk=item_sk(product_id))
    line.update(
        actions=[
            CartLine.product_id.set(product_id),
            CartLine.quantity.set(quantity),
            CartLine.added_at.set(CartLine.added_at | now),
        ]
    )
    _touch(user_id)


def set_quantity(actor: Caller, product_id: str, quantity: int) -> PricedCart:
    """Set a line's quantity (0 removes it), within live stock."""
    if quantity == 0:
        return remove_item(actor, product_id)
    try:
        CartLine.get(cart_pk(actor.account_id), item_sk(product_id))
    except CartLine.DoesNotExist:
        raise NotFoundError("That product is not in your cart") from None
    product = catalog.buyable_product(product_id)
    catalog.check_stock(product, quantity)
    _save_line(actor.account_id, product_id, quantity)
    return get_cart(actor)


def remove_item(actor: Caller, product_id: str) -> PricedCart:
    """Take a product out of the cart (idempotent)."""
    try:
        CartLine(pk=cart_pk(actor.account_id), sk=item_sk(product_id)).delete(
            condition=CartLine.pk.exists()
        )
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    _touch(actor.account_id)
    return get_cart(actor)


def apply_code(actor: Caller, code: str) -> PricedCart:
    """Apply a discount code to the cart; DiscountRejectedError names the broken rule."""
    cart = get_cart(actor)
    applied = catalog.evaluate_code(
        code, user_id=actor.account_id, shop_subtotals=cart.shop_subtotals
    )
    _touch(actor.account_id, code=applied.code)
    return get_cart(actor)


def remove_code(actor: Caller) -> PricedCart:
    _touch(actor.account_id, code=None)
    return get_cart(actor)


def remove_bought(user_id: str, checkout_id: str, bought: dict[str, int], code: str | None) -> bool:
    """Take a paid checkout's units out of the cart, once; False if already done.

    Only what was bought leaves: lines added or raised while the checkout ran stay. One
    transaction writes the lines and a receipt for the checkout, conditional on the
    quantities read, so a shopper's edit meanwhile makes it read again (bounded).
    """
    receipt = BoughtReceipt(
        pk=cart_pk(user_id),
        sk=f"{BOUGHT_PREFIX}{checkout_id}",
        expires_at=clock.epoch(clock.now()) + BOUGHT_RECEIPT_DAYS * 86_400,
    )
    for _ in range(5):
        lines = {line.product_id: line for line in _lines(user_id)}
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(receipt, condition=BoughtReceipt.pk.does_not_exist())
                for product_id, units in bought.items():
                    line = lines.get(product_id)
                    if line is None:
                        continue  # the shopper removed it meanwhile
                    held = int(line.quantity)
                    unchanged = CartLine.quantity == held
                    if held <= units:
                        transaction.delete(line, condition=unchanged)
                    else:
                        transaction.update(
                            line, actions=[CartLine.quantity.set(held - units)], condition=unchanged
                        )
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            # pynamodb orders the items by kind, so ask which condition failed.
            if _bought_already(receipt):
                return False  # an earlier attempt did it
            continue  # a line changed meanwhile: read again
        if code:
            _drop_code(user_id, code)
        _touch(user_id)
        return True
    raise ConflictError("The cart keeps changing; try again")


def _bought_already(receipt: BoughtReceipt) -> bool:
    try:
        BoughtReceipt.get(receipt.pk, receipt.sk, consistent_read=True)
    except BoughtReceipt.DoesNotExist:
        return False
    return True


def _drop_code(user_id: str, code: str) -> None:
    """Forget the cart's code if it is still the one the checkout used."""
    try:
        CartHeader(pk=cart_pk(user_id), sk=META_SK).update(
            actions=[CartHeader.code.remove()], condition=CartHeader.code == code
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


# ---------- wishlist ----------
def wishlist(actor: Caller) -> list[tuple[WishlistEntry, catalog.ProductCard | None]]:
    """Saved products, newest first, with their card (None if gone or deleted)."""
    entries = sorted(
        WishlistEntry.query(wish_pk(actor.account_id)), key=lambda e: e.added_at, reverse=True
    )
    found = catalog.cards([entry.product_id for entry in entries])
    return [(entry, found.get(entry.product_id)) for entry in entries]


def wish(actor: Caller, product_id: str) -> None:
    """Save a visible product for later (idempotent)."""
    catalog.buyable_product(product_id)
    entries = list(WishlistEntry.query(wish_pk(actor.account_id), limit=WISHLIST_MAX + 1))
    if any(entry.product_id == product_id for entry in entries):
        return
    if len(entries) >= WISHLIST_MAX:
        raise ConflictError(f"A wishlist holds at most {WISHLIST_MAX} products")
    WishlistEntry(
        pk=wish_pk(actor.account_id),
        sk=item_sk(product_id),
        product_id=product_id,
        added_at=clock.now(),
    ).save()
    catalog.bump_popularity(product_id, 1)


def unwish(actor: Caller, product_id: str) -> None:
    """Remove a product from the wishlist (idempotent)."""
    try:
        WishlistEntry(pk=wish_pk(actor.account_id), sk=item_sk(product_id)).delete(
            condition=WishlistEntry.pk.exists()
        )
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return
    catalog.bump_popularity(product_id, -1)


# ---------- abandoned carts ----------
def report_abandoned(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Mark carts untouched for the configured time as abandoned and announce each.

    Reads the oldest open carts from gsi1 (a Query bounded by ``limit``); a cart
    touched meanwhile is skipped by the conditional write.
    """
    now = now or clock.now()
    cutoff = now - timedelta(seconds=get_settings().cart_abandoned_after_seconds)
    stale = list(
        CartHeader.by_activity.query(
            OPEN_CARTS, CartHeader.gsi1sk < _activity_key(cutoff, ""), limit=limit
        )
    )
    reported = 0
    for key in stale:
        user_id = key.pk.removeprefix("CART#")
        header = _header(user_id)
        if header is None:
            continue
        lines = _lines(user_id)
        try:
            header.update(
                actions=[
                    CartHeader.abandoned_at.set(now),
                    CartHeader.gsi1pk.set(ABANDONED_CARTS),
                ],
                condition=(CartHeader.updated_at == header.updated_at)
                & (CartHeader.gsi1pk == OPEN_CARTS),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        if not lines:
            continue
        priced = _price_lines([(line.product_id, int(line.quantity)) for line in lines], now)
        events.publish(
            CartAbandoned(
                user_id=user_id,
                lines=len(lines),
                units=sum(int(line.quantity) for line in lines),
                subtotal=sum(line.line_total for line in priced),
                currency=get_settings().currency,
                last_activity_at=clock.iso(header.updated_at),
            ),
            best_effort=True,
        )
        reported += 1
    return {"checked": len(stale), "reported": reported}
