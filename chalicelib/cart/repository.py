"""The carts table: every read and write of carts, lines, wishlists and receipts.

``CartRepository`` is the port in domain terms; ``DynamoCartRepository`` the DynamoDB
implementation (keys, conditions, the bought-units transaction). Services call
``repository.get()``; tests swap in the in-memory fake (``tests/fakes/cart.py``) with
``repository.use(fake)``, and both pass ``tests/integration/cart/test_repository_contract.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.cart import models as m
from chalicelib.cart.domain import BoughtRemoval, CartHeader, CartLine, WishlistEntry, line_key
from chalicelib.core import dynamo
from chalicelib.core.dynamo import TransactionCancelledError, condition_failed, time_key


class CartRepository(Protocol):
    """Carts, their lines and codes, wishlists, bought receipts and cart activity."""

    def header(self, user_id: str) -> CartHeader | None:
        """The cart's header (strongly consistent), or None before any activity."""
        ...

    def lines(self, user_id: str) -> list[CartLine]:
        """The cart's lines (strongly consistent), in no particular order."""
        ...

    def line(self, user_id: str, product_id: str, sku: str | None = None) -> CartLine | None: ...

    def save_line(
        self,
        user_id: str,
        product_id: str,
        quantity: int,
        *,
        now: datetime,
        unit_price: int | None = None,
        sku: str | None = None,
    ) -> None:
        """Set a line's (a product's, or its variant ``sku``'s) quantity and the unit price
        the shopper saw (``added_at`` is kept once set)."""
        ...

    def delete_line(self, user_id: str, product_id: str, sku: str | None = None) -> bool:
        """Remove a line; False if there was none."""
        ...

    def touch(self, user_id: str, *, now: datetime) -> None:
        """Record activity (re-opens a cart reported abandoned)."""
        ...

    def set_code(self, user_id: str, code: str | None, *, now: datetime) -> None:
        """Record activity and the cart's code (None: no code)."""
        ...

    def drop_code(self, user_id: str, code: str) -> None:
        """Forget the cart's code if it is still ``code``."""
        ...

    def remove_bought(
        self,
        user_id: str,
        receipt_id: str,
        bought: dict[str, int],
        read: list[CartLine],
        *,
        expires_at: int,
    ) -> BoughtRemoval:
        """In one transaction: a receipt ``receipt_id`` (once) and, for each bought line
        (``bought`` by line key: ``product`` or ``product#sku``), its line lowered by the
        units bought (removed when none are left), conditional on the quantity in
        ``read``. ALREADY_DONE if the receipt exists, CART_CHANGED if a line moved since
        it was read (nothing written then)."""
        ...

    def wishlist(self, user_id: str, *, limit: int | None = None) -> list[WishlistEntry]:
        """Saved products (up to ``limit``), in no particular order."""
        ...

    def add_wish(self, user_id: str, product_id: str, *, now: datetime) -> None: ...

    def remove_wish(self, user_id: str, product_id: str) -> bool:
        """Forget a saved product; False if it was not saved."""
        ...

    def idle_carts(self, before: datetime, *, limit: int) -> list[str]:
        """Users whose open cart has seen no activity since ``before`` (oldest first)."""
        ...

    def mark_abandoned(self, header: CartHeader, *, now: datetime) -> bool:
        """Report the cart abandoned unless it was touched since ``header`` was read (or
        already reported): False then."""
        ...


def _header_of(item: m.CartHeader) -> CartHeader:
    return CartHeader(
        user_id=item.user_id,
        updated_at=item.updated_at,
        code=item.code,
        abandoned_at=item.abandoned_at,
    )


def _line_of(item: m.CartLine) -> CartLine:
    return CartLine(
        product_id=item.product_id,
        quantity=int(item.quantity),
        added_at=item.added_at,
        unit_price=None if item.unit_price is None else int(item.unit_price),
        sku=item.sku,
    )


def _header_ref(user_id: str) -> m.CartHeader:
    return m.CartHeader(pk=m.cart_pk(user_id), sk=m.META_SK)


class DynamoCartRepository:
    """The cart repository on the carts table."""

    def header(self, user_id: str) -> CartHeader | None:
        try:
            return _header_of(m.CartHeader.get(m.cart_pk(user_id), m.META_SK, consistent_read=True))
        except m.CartHeader.DoesNotExist:
            return None

    def lines(self, user_id: str) -> list[CartLine]:
        return [
            _line_of(item)
            for item in m.CartLine.query(
                m.cart_pk(user_id), m.CartLine.sk.startswith(m.ITEM_PREFIX), consistent_read=True
            )
        ]

    def line(self, user_id: str, product_id: str, sku: str | None = None) -> CartLine | None:
        try:
            key = line_key(product_id, sku)
            return _line_of(m.CartLine.get(m.cart_pk(user_id), m.item_sk(key)))
        except m.CartLine.DoesNotExist:
            return None

    def save_line(
        self,
        user_id: str,
        product_id: str,
        quantity: int,
        *,
        now: datetime,
        unit_price: int | None = None,
        sku: str | None = None,
    ) -> None:
        actions: list[Action] = [
            m.CartLine.product_id.set(product_id),
            m.CartLine.quantity.set(quantity),
            m.CartLine.added_at.set(m.CartLine.added_at | now),
        ]
        if unit_price is not None:
            actions.append(m.CartLine.unit_price.set(unit_price))
        if sku is not None:
            actions.append(m.CartLine.sku.set(sku))
        key = line_key(product_id, sku)
        m.CartLine(pk=m.cart_pk(user_id), sk=m.item_sk(key)).update(actions=actions)

    def delete_line(self, user_id: str, product_id: str, sku: str | None = None) -> bool:
        try:
            m.CartLine(pk=m.cart_pk(user_id), sk=m.item_sk(line_key(product_id, sku))).delete(
                condition=m.CartLine.pk.exists()
            )
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def _touch(self, user_id: str, now: datetime, extra: list[Action]) -> None:
        _header_ref(user_id).update(
            actions=[
                m.CartHeader.user_id.set(user_id),
                m.CartHeader.updated_at.set(now),
                m.CartHeader.gsi1pk.set(m.OPEN_CARTS),
                m.CartHeader.gsi1sk.set(time_key(now, user_id)),
                m.CartHeader.abandoned_at.remove(),
                *extra,
            ]
        )

    def touch(self, user_id: str, *, now: datetime) -> None:
        self._touch(user_id, now, [])

    def set_code(self, user_id: str, code: str | None, *, now: datetime) -> None:
        attribute = m.CartHeader.code
        self._touch(user_id, now, [attribute.remove() if code is None else attribute.set(code)])

    def drop_code(self, user_id: str, code: str) -> None:
        try:
            _header_ref(user_id).update(
                actions=[m.CartHeader.code.remove()], condition=m.CartHeader.code == code
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise

    def remove_bought(
        self,
        user_id: str,
        receipt_id: str,
        bought: dict[str, int],
        read: list[CartLine],
        *,
        expires_at: int,
    ) -> BoughtRemoval:
        receipt = m.BoughtReceipt(
            pk=m.cart_pk(user_id), sk=f"{m.BOUGHT_PREFIX}{receipt_id}", expires_at=expires_at
        )
        lines = {line.key: line for line in read}
        try:
            with dynamo.transaction() as writer:
                writer.save(receipt, condition=m.BoughtReceipt.pk.does_not_exist())
                for key, units in bought.items():
                    line = lines.get(key)
                    if line is None:
                        continue  # the shopper removed it meanwhile
                    item = m.CartLine(pk=m.cart_pk(user_id), sk=m.item_sk(key))
                    unchanged = m.CartLine.quantity == line.quantity
                    if line.quantity <= units:
                        writer.delete(item, condition=unchanged)
                    else:
                        writer.update(
                            item,
                            actions=[m.CartLine.quantity.set(line.quantity - units)],
                            condition=unchanged,
                        )
        except TransactionCancelledError:
            # pynamodb orders the items by kind, so ask which condition failed.
            try:
                m.BoughtReceipt.get(receipt.pk, receipt.sk, consistent_read=True)
            except m.BoughtReceipt.DoesNotExist:
                return BoughtRemoval.CART_CHANGED
            return BoughtRemoval.ALREADY_DONE
        return BoughtRemoval.DONE

    def wishlist(self, user_id: str, *, limit: int | None = None) -> list[WishlistEntry]:
        return [
            WishlistEntry(product_id=item.product_id, added_at=item.added_at)
            for item in m.WishlistEntry.query(m.wish_pk(user_id), limit=limit)
        ]

    def add_wish(self, user_id: str, product_id: str, *, now: datetime) -> None:
        m.WishlistEntry(
            pk=m.wish_pk(user_id), sk=m.item_sk(product_id), product_id=product_id, added_at=now
        ).save()

    def remove_wish(self, user_id: str, product_id: str) -> bool:
        try:
            m.WishlistEntry(pk=m.wish_pk(user_id), sk=m.item_sk(product_id)).delete(
                condition=m.WishlistEntry.pk.exists()
            )
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def idle_carts(self, before: datetime, *, limit: int) -> list[str]:
        stale = m.CartHeader.by_activity.query(
            m.OPEN_CARTS, m.CartHeader.gsi1sk < time_key(before, ""), limit=limit
        )
        return [key.pk.removeprefix("CART#") for key in stale]

    def mark_abandoned(self, header: CartHeader, *, now: datetime) -> bool:
        try:
            _header_ref(header.user_id).update(
                actions=[
                    m.CartHeader.abandoned_at.set(now),
                    m.CartHeader.gsi1pk.set(m.ABANDONED_CARTS),
                ],
                condition=(m.CartHeader.updated_at == header.updated_at)
                & (m.CartHeader.gsi1pk == m.OPEN_CARTS),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True


_repository: CartRepository | None = None


def get() -> CartRepository:
    """The repository in use: the DynamoDB one unless a test swapped in another."""
    global _repository
    if _repository is None:
        _repository = DynamoCartRepository()
    return _repository


def use(repository: CartRepository | None) -> None:
    """Use ``repository`` from now on (None: back to the DynamoDB one)."""
    global _repository
    _repository = repository
