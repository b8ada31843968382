"""Forecasting on moto: sellers with shops and products, their sales history in the
analytics counters, the shipped forecast model in the models bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.forecasting import repository
from chalicelib.forecasting.service import model as served
from localcloud.deploy import Deployment
from tests.fixtures.aws import ROOT
from tests.fixtures.http import ApiClient
from tests.fixtures.products import fresh_products

PASSWORD = "Forecast-Pass-2026"
MODEL_DIR = ROOT / "models" / "forecast" / "v2"


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "BAZAAR_ARGON2_TIME_COST": "1",
        "BAZAAR_ARGON2_MEMORY_KIB": "8",
        "BAZAAR_ARGON2_PARALLELISM": "1",
    }.items():
        monkeypatch.setenv(key, value)
    from chalicelib.core.settings import reset_settings

    reset_settings()


@dataclass
class Seller:
    token: str
    shop_id: str
    products: list[str]


class Http(ApiClient):
    def person(self, role: str = "user") -> str:
        from chalicelib.identity.service import admin

        email = f"{role}.{uuid.uuid4().hex[:8]}@forecast.example.com"
        admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
        return self.sign_in(email, PASSWORD)

    def seller(self, products: int = 3) -> Seller:
        from chalicelib.dev import demo
        from chalicelib.identity.service import admin

        email = f"seller.{uuid.uuid4().hex[:8]}@forecast.example.com"
        account = admin.provision_account(email, PASSWORD, role="seller")
        demo.ensure_categories()
        shop = demo.ensure_shop(account.account_id, f"Shop {email[:14]}", "home")
        made = fresh_products(shop, products, stocks=[20] * products)  # cover from sales alone
        return Seller(self.sign_in(email, PASSWORD), shop.shop_id, [p.product_id for p in made])


def seed_sales(shop_id: str, product_units: dict[str, int], days: int = 90) -> None:
    """``days`` days of sales up to yesterday in the analytics counters (closed Saturdays):
    the shop's day totals, the platform's, and each product's units per day."""
    from chalicelib.analytics.domain import PLATFORM, CounterKey, Grain
    from chalicelib.analytics.service import aggregate
    from chalicelib.core import clock

    today = clock.now().date()
    counts: dict[Any, dict[str, int]] = {}
    for back in range(1, days + 1):
        day: date = today - timedelta(days=back)
        if day.weekday() == 5:
            continue
        units = sum(product_units.values()) + (3 if day.weekday() == 3 else 0)
        for scope in (shop_id, PLATFORM):
            counts[CounterKey(scope, Grain.DAY, day.isoformat())] = {
                "orders": 2,
                "units": units,
                "revenue": units * 1500,
            }
        for product, n in product_units.items():
            counts[CounterKey(shop_id, Grain.PRODUCT_DAY, day.isoformat(), product)] = {
                "units": n,
                "revenue": n * 1500,
            }
    aggregate.seed(counts, {})


@pytest.fixture
def forecast_model(aws_env: Deployment) -> Iterator[None]:
    """The shipped model, published to the deployment's models bucket (as deploys do)."""
    from chalicelib.core import model_store

    model_store.publish_model(MODEL_DIR, "forecast", "v2")
    served.forget()
    yield
    served.forget()


@pytest.fixture
def http(api: Any, forecast_model: None) -> Http:
    repository.use(None)
    return Http(api)
