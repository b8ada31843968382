"""Use cases of orders on fakes: the in-memory repository, a recording workflow, the
payment simulator (on the fake repository), captured events, and stand-ins for what
orders asks of the cart and the catalog (the cart, codes, stock). No AWS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.catalog.errors import OutOfStockError
from chalicelib.catalog.service.inventory import Commit
from chalicelib.core.caller import Caller, Role
from chalicelib.core.events import DomainEvent
from chalicelib.orders import providers, repository, workflow
from tests.fakes.orders import FakeWorkflow, InMemoryOrdersRepository

SHOPPER = Caller("shopper", Role.USER, "shopper@example.com")


@pytest.fixture
def repo() -> Iterator[InMemoryOrdersRepository]:
    fake = InMemoryOrdersRepository()
    repository.use(fake)
    yield fake
    repository.use(None)


@pytest.fixture
def flow() -> Iterator[FakeWorkflow]:
    fake = FakeWorkflow()
    workflow.use(fake)
    yield fake
    workflow.use(None)


@pytest.fixture(autouse=True)
def simulator() -> Iterator[None]:
    """The development package's simulator is the provider (its intents in the fake)."""
    from chalicelib.dev import payments as dev_payments

    before = providers._simulator
    dev_payments.install()
    yield
    providers.use_simulator(before)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[DomainEvent]:
    """Every event the use cases publish, in order."""
    from chalicelib.core import events

    sent: list[DomainEvent] = []

    def publish(*domain_events: DomainEvent, best_effort: bool = False) -> list[str]:
        sent.extend(domain_events)
        return [str(n) for n in range(len(domain_events))]

    monkeypatch.setattr(events, "publish", publish)
    return sent


@dataclass
class FakeStock:
    """The catalog's side of a reservation (its inventory use case): product stock, all or
    nothing, committed together with the orders' items through ``commit``."""

    units: dict[str, int] = field(default_factory=dict)

    def reserve(self, units: dict[str, int], *, commit: Commit, first: int = 0) -> None:
        short = [pid for pid, qty in units.items() if self.units.get(pid, 0) < qty]
        if short:
            raise OutOfStockError("Not enough stock", details={"product_ids": short})
        commit(())  # TransactionCancelledError when the orders' items refuse: nothing moves
        for pid, qty in units.items():
            self.units[pid] -= qty

    def release(self, units: dict[str, int], *, commit: Commit, first: int = 0) -> dict[str, int]:
        commit(())
        for pid, qty in units.items():
            self.units[pid] = self.units.get(pid, 0) + qty
        return units


@pytest.fixture
def stock(monkeypatch: pytest.MonkeyPatch) -> FakeStock:
    from chalicelib.catalog.service import inventory

    fake = FakeStock()
    monkeypatch.setattr(inventory, "reserve", fake.reserve)
    monkeypatch.setattr(inventory, "release", fake.release)
    return fake


@dataclass
class FakeCart:
    """The shopper's priced cart as the cart service would answer, and what it was told."""

    lines: list[Any] = field(default_factory=list)
    code: str | None = None
    removed: list[tuple[str, str, dict[str, int], str | None]] = field(default_factory=list)

    def add(self, product_id: str, quantity: int, *, shop_id: str, unit_price: int) -> None:
        from chalicelib.cart.service import PricedLine

        self.lines.append(
            PricedLine(
                product_id=product_id,
                quantity=quantity,
                title=f"Item {product_id}",
                shop_id=shop_id,
                unit_price=unit_price,
                available=True,
            )
        )


@dataclass
class FakeCodes:
    """Discount codes as the catalog would answer: prepared uses and given-back uses."""

    amounts: dict[str, tuple[str, int]] = field(default_factory=dict)
    released: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def cart(monkeypatch: pytest.MonkeyPatch) -> FakeCart:
    from chalicelib.cart import service as cart_service

    fake = FakeCart()

    def get_cart(actor: Any) -> Any:
        return cart_service.PricedCart(user_id=actor.account_id, lines=fake.lines, code=fake.code)

    def remove_bought(user_id: str, checkout_id: str, bought: dict[str, int], code: Any) -> bool:
        if any(done[1] == checkout_id for done in fake.removed):
            return False
        fake.removed.append((user_id, checkout_id, bought, code))
        return True

    monkeypatch.setattr(cart_service, "get_cart", get_cart)
    monkeypatch.setattr(cart_service, "remove_bought", remove_bought)
    return fake


@pytest.fixture
def codes(monkeypatch: pytest.MonkeyPatch) -> FakeCodes:
    from chalicelib.catalog import service as catalog

    fake = FakeCodes()

    @dataclass
    class Redemption:
        applied: Any

        def refused(self) -> Exception:
            from chalicelib.catalog.errors import DiscountRejectedError

            return DiscountRejectedError("The code has been used up")

    def prepare_redemption(code: str, *, user_id: str, shop_subtotals: dict[str, int]) -> Any:
        shop_id, amount = fake.amounts[code]
        applied = catalog.AppliedDiscount(
            code=code,
            shop_id=shop_id,
            kind="amount",
            value=amount,
            eligible_subtotal=shop_subtotals[shop_id],
            amount=amount,
        )
        return Redemption(applied)

    def release(code: str, *, user_id: str) -> None:
        fake.released.append((code, user_id))

    monkeypatch.setattr(catalog, "prepare_redemption", prepare_redemption)
    monkeypatch.setattr(catalog, "release_code", release)
    return fake
