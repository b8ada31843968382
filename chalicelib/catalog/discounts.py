"""Discount codes: every rule lives here, used by the cart now and by checkout (issue 5).

A code belongs to one shop and discounts that shop's items in a cart: ``percent``
(1-100 % of the eligible subtotal) or ``fixed`` (minor units, at most the subtotal).
Rules, each with the name a rejection reports (``DiscountRejectedError.rule``):
``unknown``, ``inactive``, ``not_started``, ``expired``, ``exhausted`` (overall usage
limit), ``per_user_limit``, ``not_applicable`` (no items of the code's shop) and
``below_minimum`` (eligible subtotal under ``min_order``). Redemption counts usage
atomically (one transaction, conditional on both limits), so limits hold under races.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.catalog import shops
from chalicelib.catalog.actor import Actor
from chalicelib.catalog.errors import DiscountRejectedError
from chalicelib.catalog.inputs import DiscountCodeInput
from chalicelib.catalog.models import CODE_SK, CodeUse, DiscountCode, code_pk, shop_codes_pk
from chalicelib.core import clock
from chalicelib.core.dynamo import transaction_connection
from chalicelib.core.errors import ConflictError, NotFoundError


@dataclass(frozen=True)
class AppliedDiscount:
    """A code that passed every rule, and what it takes off."""

    code: str
    shop_id: str
    kind: str
    value: int
    eligible_subtotal: int
    amount: int


def normalize(code: str) -> str:
    return code.strip().upper()


def create_code(actor: Actor, body: DiscountCodeInput) -> DiscountCode:
    """A new code for the actor's shop; ConflictError if the code text is taken."""
    shop = shops.owned_shop(actor)
    code = body.normalized_code
    item = DiscountCode(
        pk=code_pk(code),
        code=code,
        shop_id=shop.shop_id,
        kind=body.kind,
        value=body.value,
        min_order=body.min_order,
        max_uses=body.max_uses,
        per_user_limit=body.per_user_limit,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        used=0,
        active=True,
        created_at=clock.now(),
        gsi1pk=shop_codes_pk(shop.shop_id),
        gsi1sk=code,
    )
    try:
        item.save(condition=DiscountCode.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ConflictError(f"The code {code!r} is taken", details={"code": code}) from None
        raise
    return item


def get_code(code: str) -> DiscountCode | None:
    try:
        return DiscountCode.get(code_pk(normalize(code)), CODE_SK, consistent_read=True)
    except DiscountCode.DoesNotExist:
        return None


def list_codes(actor: Actor) -> list[DiscountCode]:
    """The codes of the actor's shop."""
    shop = shops.owned_shop(actor)
    return list(DiscountCode.by_shop.query(shop_codes_pk(shop.shop_id)))


def deactivate_code(actor: Actor, code: str) -> DiscountCode:
    """Stop a code of the actor's shop from being used."""
    item = get_code(code)
    if item is None:
        raise NotFoundError("No such code", details={"code": normalize(code)})
    shop = shops.owned_shop(actor)
    if item.shop_id != shop.shop_id and not actor.is_admin:
        raise NotFoundError("No such code", details={"code": normalize(code)})
    item.update(actions=[DiscountCode.active.set(False)])
    return item


def uses_by(code: str, user_id: str) -> int:
    try:
        return int(CodeUse.get(code_pk(normalize(code)), f"USER#{user_id}").uses)
    except CodeUse.DoesNotExist:
        return 0


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
    if item.max_uses is not None and int(item.used) >= int(item.max_uses):
        raise _reject("exhausted", f"The code {code} has been used up", code)
    if item.per_user_limit is not None and user_uses >= int(item.per_user_limit):
        raise _reject(
            "per_user_limit",
            f"You have used the code {code} the most times allowed ({int(item.per_user_limit)})",
            code,
        )
    eligible = int(shop_subtotals.get(item.shop_id, 0))
    if eligible <= 0:
        raise _reject("not_applicable", f"The code {code} applies to another shop's items", code)
    if eligible < int(item.min_order):
        raise _reject(
            "below_minimum",
            f"The code {code} needs at least {int(item.min_order)} of that shop's items"
            f" (you have {eligible})",
            code,
            min_order=int(item.min_order),
            eligible_subtotal=eligible,
        )
    if item.kind == "percent":
        amount = eligible * int(item.value) // 100
    else:
        amount = min(int(item.value), eligible)
    return AppliedDiscount(
        code=code,
        shop_id=item.shop_id,
        kind=item.kind,
        value=int(item.value),
        eligible_subtotal=eligible,
        amount=amount,
    )


def evaluate(
    code: str, *, user_id: str, shop_subtotals: dict[str, int], now: datetime | None = None
) -> AppliedDiscount:
    """Check a code against a cart without using it (the cart shows the result)."""
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

    def write(self, transaction: TransactWrite) -> None:
        """Add the two counter updates (code, then the shopper's use) to ``transaction``."""
        code_ok = (DiscountCode.active == True) & (DiscountCode.ends_at > self.now)  # noqa: E712
        if self.max_uses is not None:
            code_ok &= DiscountCode.used < self.max_uses
        use_ok = None
        if self.per_user_limit is not None:
            use_ok = CodeUse.uses.does_not_exist() | (CodeUse.uses < self.per_user_limit)
        code = self.applied.code
        transaction.update(
            DiscountCode(pk=code_pk(code), sk=CODE_SK),
            actions=[DiscountCode.used.add(1)],
            condition=code_ok,
        )
        transaction.update(
            CodeUse(pk=code_pk(code), sk=f"USER#{self.user_id}"),
            actions=[CodeUse.uses.add(1)],
            condition=use_ok,
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
        max_uses=None if current.max_uses is None else int(current.max_uses),
        per_user_limit=None if current.per_user_limit is None else int(current.per_user_limit),
        now=now,
    )


def redeem(
    code: str, *, user_id: str, shop_subtotals: dict[str, int], now: datetime | None = None
) -> AppliedDiscount:
    """Use a code once for ``user_id`` on its own (checkout writes the use with its orders)."""
    return redeem_prepared(
        prepare_redemption(code, user_id=user_id, shop_subtotals=shop_subtotals, now=now)
    )


def redeem_prepared(redemption: Redemption) -> AppliedDiscount:
    """Count a prepared use in a transaction of its own; raises the rule that now fails."""
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            redemption.write(transaction)
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        raise redemption.refused() from None
    return redemption.applied


def release(code: str, *, user_id: str) -> None:
    """Give back one use (a checkout that redeemed the code was cancelled)."""
    normalized = normalize(code)
    with TransactWrite(connection=transaction_connection()) as transaction:
        transaction.update(
            DiscountCode(pk=code_pk(normalized), sk=CODE_SK),
            actions=[DiscountCode.used.add(-1)],
            condition=DiscountCode.used > 0,
        )
        transaction.update(
            CodeUse(pk=code_pk(normalized), sk=f"USER#{user_id}"),
            actions=[CodeUse.uses.add(-1)],
            condition=CodeUse.uses > 0,
        )
