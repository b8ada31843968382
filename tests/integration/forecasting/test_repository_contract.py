"""The forecasting repository's contract: the DynamoDB one and the in-memory fake agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.forecasting.domain import DaySales, ProductSales, SalesHistory, Upload
from tests.fakes.forecasting import FakeForecastRepository


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield FakeForecastRepository()
        return
    request.getfixturevalue("aws_env")
    from chalicelib.forecasting.repository import DynamoForecastRepository

    yield DynamoForecastRepository()


def _upload(upload_id: str = "u1", shop_id: str = "shop-1", products: int = 3) -> Upload:
    days = tuple(DaySales(date(2026, 1, 1) + timedelta(days=k), 100 * k, k) for k in range(1, 40))
    items = tuple(ProductSales(f"p{k:04d}", k, 10 * k) for k in range(products))
    history = SalesHistory(shop_id, f"upload:{upload_id}", days, items)
    return Upload(upload_id, shop_id, "sales.csv", clock.now().replace(microsecond=0), 120, history)


def test_an_upload_is_read_back_by_its_shop_only(repo: Any) -> None:
    stored = _upload()
    repo.save_upload(stored, expires_at=clock.now() + timedelta(days=1))
    found = repo.upload("shop-1", "u1")
    assert (found.upload_id, found.name, found.rows, found.created_at) == (
        stored.upload_id,
        stored.name,
        stored.rows,
        stored.created_at,
    )
    assert found.history.days == stored.history.days
    assert set(found.history.products) == set(stored.history.products)
    assert found.history.source == "upload:u1"
    assert repo.upload("shop-2", "u1") is None
    assert repo.upload("shop-1", "nope") is None


def test_an_expired_upload_is_gone_and_only_the_top_products_are_kept(repo: Any) -> None:
    repo.save_upload(_upload("old"), expires_at=clock.now() - timedelta(seconds=1))
    assert repo.upload("shop-1", "old") is None
    repo.save_upload(_upload("big", products=600), expires_at=clock.now() + timedelta(days=1))
    found = repo.upload("shop-1", "big")
    assert len(found.history.products) == 500
    assert found.history.products[0].units == 599  # the most units first
