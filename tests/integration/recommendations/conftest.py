"""Recommendations on moto: a shop with 40 products in 8 taste groups, a lake of purchases
(users buy within their group), the training steps run in-process, the API over Chalice's
test client."""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from localcloud.deploy import Deployment
from tests.fixtures.http import ApiClient

PASSWORD = "Recs-Pass-2026"
GROUPS, PER_GROUP, USERS = 6, 5, 72
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "BAZAAR_ARGON2_TIME_COST": "1",
        "BAZAAR_ARGON2_MEMORY_KIB": "8",
        "BAZAAR_ARGON2_PARALLELISM": "1",
        "BAZAAR_RECS_MODEL_CHECK_SECONDS": "0",
    }.items():
        monkeypatch.setenv(key, value)
    from chalicelib.core.settings import reset_settings
    from chalicelib.recommendations.service import serving

    reset_settings()
    serving.forget_model()


@dataclass
class World:
    client: ApiClient
    products: list[str]
    shop_id: str
    seller: Any
    shopper_id: str
    shopper_token: str

    def group(self, n: int) -> list[str]:
        return self.products[n * PER_GROUP : (n + 1) * PER_GROUP]


def _person(client: ApiClient, role: str = "user") -> tuple[str, str]:
    from chalicelib.identity.service import admin

    email = f"{role}.{next(_numbers)}.{uuid.uuid4().hex[:6]}@recs.example.com"
    account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
    return account.account_id, client.sign_in(email, PASSWORD)


def write_lake(world: World, *, users: int = USERS, seed: int = 11) -> None:
    """Purchases (and views) in the lake: each user buys 2 products of their group early and
    one more of it in the last week (the held-out slice); the shopper viewed group 0."""
    from chalicelib.analytics.domain import Fact, FactKind
    from chalicelib.analytics.repository import lake
    from chalicelib.analytics.service.facts import to_line
    from chalicelib.core import clock

    rng = random.Random(seed)
    now = clock.now()
    facts: list[Fact] = []
    for u in range(users):
        group = world.group(u % GROUPS)
        early, late = rng.sample(group, 2), None
        late = rng.choice([p for p in group if p not in early])
        for n, product in enumerate(early):
            at = now - timedelta(days=30 - n - (u % 7))
            facts.append(
                Fact(
                    FactKind.PURCHASE,
                    at,
                    at,
                    "order.paid",
                    visitor=f"v{u}",
                    user_id=f"v{u}",
                    product_id=product,
                    shop_id=world.shop_id,
                    quantity=1,
                )
            )
        at = now - timedelta(days=3, hours=u % 48)
        facts.append(
            Fact(
                FactKind.PURCHASE,
                at,
                at,
                "order.paid",
                visitor=f"v{u}",
                user_id=f"v{u}",
                product_id=late,
                shop_id=world.shop_id,
                quantity=1,
            )
        )
    viewed = now - timedelta(days=1)
    facts.append(
        Fact(
            FactKind.PRODUCT_VIEW,
            viewed,
            viewed,
            "client",
            visitor=world.shopper_id,
            user_id=world.shopper_id,
            product_id=world.group(0)[0],
            shop_id=world.shop_id,
        )
    )
    by_day: dict[str, list[Fact]] = {}
    for fact in facts:
        by_day.setdefault(fact.at.date().isoformat(), []).append(fact)
    for day, day_facts in by_day.items():
        batch = f"seed-{day}"
        lake().write(batch, day_facts[0].at, [to_line(batch, f) for f in day_facts])


@pytest.fixture
def world(api: Any, aws_env: Deployment) -> World:
    from chalicelib.catalog.schemas import ProductInput, ShopInput
    from chalicelib.catalog.service import products, shops, site_config
    from chalicelib.core.caller import Caller, Role
    from chalicelib.orders import repository as orders_repository
    from chalicelib.recommendations import repository

    orders_repository.use(None)
    repository.use(None)
    client = ApiClient(api)
    site_config.save_config(categories_map={"shoes": ["sneakers"], "home": ["lighting"]})
    seller_id, _ = _person(client, "seller")
    shop = shops.create_shop(
        Caller(seller_id, Role.SELLER), ShopInput(name=f"Recs {seller_id[:6]}", category="shoes")
    )
    owner = Caller(seller_id, Role.SELLER, shop_id=shop.shop_id)
    made = [
        products.create_product(
            owner,
            ProductInput.model_validate(
                {
                    "title": f"Item {n}",
                    "category": "shoes" if n < 15 else "home",
                    "regular_price": 1000 + n,
                    "stock": 5,
                }
            ),
        ).product_id
        for n in range(GROUPS * PER_GROUP)
    ]
    shopper_id, token = _person(client)
    return World(client, made, shop.shop_id, owner, shopper_id, token)
