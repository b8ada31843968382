"""The forecasting repository's contract: the DynamoDB one and the in-memory fake agree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import BadRequestError
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


def test_a_shops_uploads_are_listed_newest_first_without_expired_ones(repo: Any) -> None:
    # Given three live uploads of shop-1 a second apart, an expired one, and shop-2's
    later = clock.now() + timedelta(days=1)
    base = clock.now().replace(microsecond=0)
    for k, upload_id in enumerate(("u1", "u2", "u3")):
        made = replace(_upload(upload_id), created_at=base + timedelta(seconds=k))
        repo.save_upload(made, expires_at=later)
    repo.save_upload(_upload("gone"), expires_at=clock.now() - timedelta(seconds=1))
    repo.save_upload(_upload("theirs", shop_id="shop-2"), expires_at=later)
    # When shop-1's list is read two at a time
    first = repo.shop_uploads("shop-1", limit=2, cursor=None)
    second = repo.shop_uploads("shop-1", limit=2, cursor=first.next_cursor)
    # Then it holds its three, newest first, with their summaries
    assert [u.upload_id for u in first.items + second.items] == ["u3", "u2", "u1"]
    summary = first.items[0]
    assert (summary.shop_id, summary.name, summary.rows, summary.days, summary.products) == (
        "shop-1",
        "sales.csv",
        120,
        39,
        3,
    )
    assert (summary.first_day, summary.last_day) == (date(2026, 1, 2), date(2026, 2, 9))
    assert summary.created_at == base + timedelta(seconds=2)
    if second.next_cursor is not None:  # DynamoDB may end on a full page
        assert repo.shop_uploads("shop-1", limit=2, cursor=second.next_cursor).items == []
    # and a cursor of shop-1's list is refused in shop-2's
    with pytest.raises(BadRequestError):
        repo.shop_uploads("shop-2", limit=2, cursor=first.next_cursor)
    assert [u.upload_id for u in repo.shop_uploads("shop-2", limit=5, cursor=None).items] == [
        "theirs"
    ]


def test_an_upload_is_deleted_by_its_shop_only_and_once(repo: Any) -> None:
    later = clock.now() + timedelta(days=1)
    repo.save_upload(_upload("u1"), expires_at=later)
    repo.save_upload(_upload("old"), expires_at=clock.now() - timedelta(seconds=1))
    assert repo.delete_upload("shop-2", "u1") is False
    assert repo.upload("shop-1", "u1") is not None
    assert repo.delete_upload("shop-1", "u1") is True
    assert repo.upload("shop-1", "u1") is None
    assert repo.delete_upload("shop-1", "u1") is False
    assert repo.delete_upload("shop-1", "old") is False  # expired: already gone to clients
    assert repo.shop_uploads("shop-1", limit=5, cursor=None).items == []
