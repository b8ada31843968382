"""Use cases of orders on fakes: the in-memory repository, a recording workflow, the
payment simulator (on the fake repository), captured events, and stand-ins for what
orders asks of the cart and the catalog (the cart, codes, stock). No AWS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from chalicelib.core.caller import Caller, Role
from chalicelib.core.events import DomainEvent
from chalicelib.orders import providers, repository, workflow
from tests.fakes.catalog import (
    InMemoryCatalogRepository,
    catalog_repo,
    make_product,
    make_shop,
)
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


@pytest.fixture(autouse=True)
def published(monkeypatch: pytest.MonkeyPatch) -> list[DomainEvent]:
    """Every event the use cases publish, in order (nothing reaches a bus)."""
    from chalicelib.core import events

    sent: list[DomainEvent] = []

    def publish(*domain_events: DomainEvent, best_effort: bool = False) -> list[str]:
        sent.extend(domain_events)
        return [str(n) for n in range(len(domain_events))]

    monkeypatch.setattr(events, "publish", publish)
    return sent


class Stock:
    """Products in the in-memory catalog: the catalog's inventory use case runs for real,
    its product items committed with the orders' in the fake orders repository."""

    def __init__(self, catalog: InMemoryCatalogRepository) -> None:
        self.catalog = catalog
        self.shop = make_shop("catalog-shop")
        catalog.add_shop(self.shop)

    def __setitem__(self, product_id: str, units: int) -> None:
        stored = self.catalog.product(product_id)
        if stored is None:
            self.catalog.add_product(make_product(product_id, self.shop, stock=units))
        else:
            self.catalog.product_items[product_id] = replace(stored, stock=units)

    def __getitem__(self, product_id: str) -> int:
        stored = self.catalog.product(product_id)
        assert stored is not None
        return stored.stock


@pytest.fixture
def stock(catalog_repo: InMemoryCatalogRepository) -> Stock:
    return Stock(catalog_repo)


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


__all__ = ["catalog_repo"]
