"""Discount codes: every rule lives here, used by the cart and by checkout.

A code belongs to one shop and discounts that shop's items in a cart: ``percent``
(1-100 % of the eligible subtotal) or ``fixed`` (minor units, at most the subtotal).
Rules, each with the name a rejection reports (``DiscountRejectedError.rule``):
``unknown``, ``inactive``, ``not_started``, ``expired``, ``exhausted`` (overall usage
limit), ``per_user_limit``, ``not_applicable`` (no items of the code's shop) and
``below_minimum`` (eligible subtotal under ``min_order``). Redemption counts usage
atomically (conditional on both limits, in the checkout's own transaction), so limits
hold under races.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.catalog import repository
from chalicelib.catalog.domain import (
    AppliedDiscount,
    DiscountCode,
    DiscountKind,
    normalize_code,
)
from chalicelib.catalog.errors import DiscountRejectedError
from chalicelib.catalog.schemas import DiscountCodeInput
from chalicelib.catalog.service import shops
from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.errors import ConflictError, NotFoundError

normalize = normalize_code


def create_code(caller: Caller, body: DiscountCodeInput) -> DiscountCode:
    """A new code for the caller's shop; ConflictError if the code text is taken."""
    shop = shops.owned_shop(caller)
    code = body.normalized_code
    item = DiscountCode(
        code=code,
        shop_id=shop.shop_id,
        kind=DiscountKind(body.kind),
        value=body.value,
        min_order=body.min_order,
        max_uses=body.max_uses,
        per_user_limit=body.per_user_limit,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        created_at=clock.now(),
    )
    try:
        repository.get().add_code(item)
    except repository.ClaimTaken:
        raise ConflictError(f"The code {code!r} is taken", details={"code": code}) from None
    return item


def get_code(code: str) -> DiscountCode | None:
    return repository.get().code(normalize(code))


def list_codes(caller: Caller) -> list[DiscountCode]:
    """The codes of the caller's shop."""
    shop = shops.owned_shop(caller)
    return repository.get().shop_codes(shop.shop_id)


def deactivate_code(caller: Caller, code: str) -> DiscountCode:
    """Stop a code of the caller's shop from being used."""
    item = get_code(code)
    if item is None:
        raise NotFoundError("No such code", details={"code": normalize(code)})
    shop = shops.owned_shop(caller)
    if item.shop_id != shop.shop_id and not caller.is_admin:
        raise NotFoundError("No such code", details={"code": normalize(code)})
    return repository.get().deactivate_code(item)


def uses_by(code: str, user_id: str) -> int:
    """How many times ``user_id`` redeemed ``code``."""
    return repository.get().code_uses(normalize(code), user_id)


def _reject(rule: str, message: str, code: str, **details: object) -> DiscountRejectedError:
    return DiscountRejectedError(rule, message, details={"code": code, **details})


def check_rules(
    item: DiscountCode | None,
    code: str,
    *,
    user_uses: int,
    shop_subtotals: dict[str, int],
    now: datetime,
) -> AppliedDiscount:
    """Every rule, in order; the discount, or DiscountRejectedError naming the broken rule."""
    code = normalize(code)
    if item is None:
        raise _reject("unknown", f"There is no discount code {code!r}", code)
    if not item.active:
        raise _reject("inactive", f"The code {code} is no longer offered", code)
    if now < item.starts_at:
        raise _reject(
            "not_started", f"The code {code} is valid from {clock.iso(item.starts_at)}", code
        )
    if now >= item.ends_at:
        raise _reject("expired", f"The code {code} expired at {clock.iso(item.ends_at)}", code)
    if item.max_uses is not None and item.used >= item.max_uses:
        raise _reject("exhausted", f"The code {code} has been used up", code)
    if item.per_user_limit is not None and user_uses >= item.per_user_limit:
        raise _reject(
            "per_user_limit",
            f"You have used the code {code} the most times allowed ({item.per_user_limit})",
            code,
        )
    eligible = int(shop_subtotals.get(item.shop_id, 0))
    if eligible <= 0:
        raise _reject("not_applicable", f"The code {code} applies to another shop's items", code)
    if eligible < item.min_order:
        raise _reject(
            "below_minimum",
            f"The code {code} needs at least {item.min_order} of that shop's items"
            f" (you have {eligible})",
            code,
            min_order=item.min_order,
            eligible_subtotal=eligible,
        )
    if item.kind is DiscountKind.PERCENT:
        amount = eligible * item.value // 100
    else:
        amount = min(item.value, eligible)
    return AppliedDiscount(
        code=code,
        shop_id=item.shop_id,
        kind=item.kind.value,
        value=item.value,
        eligible_subtotal=eligible,
        amount=amount,
    )


def evaluate(
    code: str, *, user_id: str, shop_subtotals: dict[str, int], now: datetime | None = None
) -> AppliedDiscount:
    """Check a code against a cart without using it (the cart shows the result).

    Raises DiscountRejectedError naming the first rule it breaks.
    """
    item = get_code(code)
    return check_rules(
        item,
        code,
        user_uses=uses_by(code, user_id) if item is not None else 0,
        shop_subtotals=shop_subtotals,
        now=now or clock.now(),
    )


@dataclass(frozen=True)
class Redemption:
    """One use of a code that passed every rule, written in the caller's transaction.

    Both counters move conditional on both limits, so concurrent checkouts can never
    exceed ``max_uses`` or ``per_user_limit``; written together with the checkout, a use
    is counted exactly when the checkout exists.
    """

    applied: AppliedDiscount
    user_id: str
    shop_subtotals: dict[str, int]
    max_uses: int | None
    per_user_limit: int | None
    now: datetime

    def write(self, transaction: Any) -> None:
        """Add the two counter updates (code, then the shopper's use) to ``transaction``
        (the repository's ``transaction()``; on DynamoDB a pynamodb ``TransactWrite``)."""
        repository.get().write_redemption(
            transaction,
            code=self.applied.code,
            user_id=self.user_id,
            max_uses=self.max_uses,
            per_user_limit=self.per_user_limit,
            now=self.now,
        )

    def refused(self) -> DiscountRejectedError:
        """Why the counters refused (someone took the last use meanwhile): the rule now failing."""
        code = self.applied.code
        try:
            evaluate(code, user_id=self.user_id, shop_subtotals=self.shop_subtotals, now=self.now)
        except DiscountRejectedError as rejected:
            return rejected
        return _reject("exhausted", f"The code {code} has been used up", code)


def prepare_redemption(
    code: str, *, user_id: str, shop_subtotals: dict[str, int], now: datetime | None = None
) -> Redemption:
    """Check every rule for one use of ``code`` by ``user_id``; raises the failing rule."""
    now = now or clock.now()
    applied = evaluate(code, user_id=user_id, shop_subtotals=shop_subtotals, now=now)
    current = get_code(applied.code)
    assert current is not None
    return Redemption(
        applied=applied,
        user_id=user_id,
        shop_subtotals=dict(shop_subtotals),
        max_uses=current.max_uses,
        per_user_limit=current.per_user_limit,
        now=now,
    )


def release(code: str, *, user_id: str) -> None:
    """Give back one use (a checkout that redeemed the code was cancelled).

    Raises TransactionCancelledError when there is no use to give back.
    """
    repository.get().release_redemption(normalize(code), user_id=user_id)
