"""Forecasting use cases on fakes: CSV uploads (row-level errors, all or nothing, the
shop's own only), forecasts and demand of an upload, stock-out risks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import BadRequestError, ForbiddenError, PayloadTooLargeError
from chalicelib.forecasting.domain import DaySales, Horizon, Measure, ProductSales, SalesHistory
from chalicelib.forecasting.errors import UploadNotFoundError, UploadRejectedError
from chalicelib.forecasting.model import ForecastModel
from chalicelib.forecasting.service import sales, stock, uploads
from tests.fakes.catalog import InMemoryCatalogRepository, make_product, make_shop
from tests.fakes.forecasting import FakeForecastRepository

MODEL = ForecastModel.load(Path(__file__).resolve().parents[3] / "models" / "forecast" / "v2")
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
SELLER = Caller("seller-1", Role.SELLER, shop_id="shop-1")
OTHER = Caller("seller-2", Role.SELLER, shop_id="shop-2")


@pytest.fixture(autouse=True)
def frozen() -> object:
    with clock.controlled(NOW) as manual:
        yield manual


def _csv(days: int = 120) -> str:
    lines = ["date,product,units,revenue"]
    start = NOW.date() - timedelta(days=days)
    for i in range(days):
        day = start + timedelta(days=i)
        if day.weekday() == 5:
            continue
        units = 3 + (i % 4) + (4 if day.weekday() == 3 else 0)
        lines.append(f"{day},mug,{units},{units * 12.5:.2f}")
        lines.append(f"{day},lamp,1,30.00")
    return "\n".join(lines) + "\n"


def test_a_good_csv_is_stored_and_forecast(fake_forecast_repo: FakeForecastRepository) -> None:
    # Given a seller's sales CSV of four months (closed on Saturdays)
    # When it is uploaded
    stored = uploads.upload(SELLER, "sales.csv", _csv())
    # Then it is stored aggregated per day, and forecast on its own level
    assert len(fake_forecast_repo.uploads) == 1
    found = uploads.get_upload(SELLER, stored.upload_id)
    assert found.rows == stored.rows
    assert len(found.history.days) == len(stored.history.days)
    result = sales.forecast(found.history, Measure.REVENUE, Horizon.SHORT, 45, MODEL)
    assert result.closed_weekdays == (5,)
    assert all(p.period.weekday() != 5 for p in result.points)
    assert result.points[0].period == found.history.days[-1].day + timedelta(days=1)
    assert all(p.lower < p.median < p.upper for p in result.points)
    mean_daily = sum(d.revenue for d in found.history.days) / len(found.history.days)
    assert 0.4 * mean_daily < result.points[0].median < 2.5 * mean_daily
    yearly = sales.forecast(found.history, Measure.REVENUE, Horizon.LONG, model=MODEL)
    assert len(yearly.points) == 12
    assert all(p.period.day == 1 for p in yearly.points)
    demand = sales.demand(found.history, Measure.UNITS, MODEL)
    thursday = next(w for w in demand.weekday if w.weekday == 3)
    assert thursday.index > 1.2  # the Thursdays sell 4 units more
    assert demand.moving_average_7 is not None
    assert len(demand.yearly) == 12


def test_a_malformed_csv_is_refused_per_row_and_nothing_is_stored(
    fake_forecast_repo: FakeForecastRepository,
) -> None:
    # Given a CSV with good rows and three bad ones
    text = _csv(20).replace("\n", "\n2026-02-30,mug,1,2.00\n", 1)
    text += "2026-01-05,,2,3.00\n2026-01-06,mug,-1,4.00\n2026-01-07,mug,2,4.005\n"
    # When it is uploaded
    with pytest.raises(UploadRejectedError) as refused:
        uploads.upload(SELLER, "bad.csv", text)
    # Then every bad row is named with its line and field, and nothing is stored
    problems = {(p["row"], p["field"]) for p in refused.value.details}
    assert (2, "date") in problems
    lines = text.splitlines()
    assert (len(lines) - 2, "product") in problems
    assert (len(lines) - 1, "units") in problems
    assert (len(lines), "revenue") in problems
    assert fake_forecast_repo.uploads == {}


def test_a_wrong_header_or_an_oversized_file_is_refused(
    fake_forecast_repo: FakeForecastRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(UploadRejectedError) as refused:
        uploads.upload(SELLER, "x.csv", "day,item,qty\n2026-01-01,a,1\n")
    assert refused.value.details[0]["field"] == "header"
    with pytest.raises(UploadRejectedError):
        uploads.upload(SELLER, "x.csv", "date,product,units,revenue\n")
    monkeypatch.setenv("BAZAAR_FORECAST_UPLOAD_MAX_BYTES", "1024")
    from chalicelib.core.settings import reset_settings

    reset_settings()
    try:
        with pytest.raises(PayloadTooLargeError):
            uploads.upload(SELLER, "big.csv", _csv(120))
    finally:
        monkeypatch.delenv("BAZAAR_FORECAST_UPLOAD_MAX_BYTES")
        reset_settings()
    assert fake_forecast_repo.uploads == {}


def test_another_shops_upload_is_not_found(fake_forecast_repo: FakeForecastRepository) -> None:
    stored = uploads.upload(SELLER, "sales.csv", _csv(30))
    with pytest.raises(UploadNotFoundError):
        uploads.get_upload(OTHER, stored.upload_id)
    with pytest.raises(ForbiddenError):
        uploads.upload(Caller("shopper", Role.USER), "s.csv", _csv(30))


def test_a_seller_lists_their_shops_uploads_newest_first_in_pages(
    fake_forecast_repo: FakeForecastRepository, frozen: clock.ManualClock
) -> None:
    # Given three uploads of the seller's shop, a minute apart, and one of another shop
    ids = []
    for name in ("jan.csv", "feb.csv", "mar.csv"):
        ids.append(uploads.upload(SELLER, name, _csv(30)).upload_id)
        frozen.advance(minutes=1)
    uploads.upload(OTHER, "theirs.csv", _csv(30))
    # When the seller pages through their uploads, two at a time
    first = uploads.list_uploads(SELLER, limit=2, cursor=None)
    assert first.next_cursor is not None
    second = uploads.list_uploads(SELLER, limit=2, cursor=first.next_cursor)
    # Then they see their own three, newest first, each with what it holds
    listed = first.items + second.items
    assert [u.upload_id for u in listed] == ids[::-1]
    assert [u.name for u in listed] == ["mar.csv", "feb.csv", "jan.csv"]
    assert second.next_cursor is None
    assert {(u.products, u.shop_id) for u in listed} == {(2, "shop-1")}
    assert listed[0].days == len({line.split(",")[0] for line in _csv(30).split()[1:]})
    # and the other shop's list holds only its own; my cursor is no good there
    assert [u.name for u in uploads.list_uploads(OTHER, limit=5, cursor=None).items] == [
        "theirs.csv"
    ]
    with pytest.raises(BadRequestError):
        uploads.list_uploads(OTHER, limit=2, cursor=first.next_cursor)
    # and expired uploads are no longer listed
    frozen.advance(days=31)
    assert uploads.list_uploads(SELLER, limit=5, cursor=None).items == []


def test_a_seller_deletes_their_upload_and_another_shops_id_is_not_found(
    fake_forecast_repo: FakeForecastRepository,
) -> None:
    # Given an upload of each shop
    mine = uploads.upload(SELLER, "mine.csv", _csv(30))
    theirs = uploads.upload(OTHER, "theirs.csv", _csv(30))
    # When the seller tries to delete the other shop's upload
    with pytest.raises(UploadNotFoundError) as refused:
        uploads.delete_upload(SELLER, theirs.upload_id)
    # Then it is not found, told exactly as an unknown id is, and it stays
    with pytest.raises(UploadNotFoundError) as unknown:
        uploads.delete_upload(SELLER, "0" * 32)
    assert (refused.value.message, refused.value.details) == (
        unknown.value.message,
        unknown.value.details,
    )
    assert uploads.get_upload(OTHER, theirs.upload_id).name == "theirs.csv"
    # When the seller deletes their own
    uploads.delete_upload(SELLER, mine.upload_id)
    # Then it is gone (listed no more, no forecast), and a second delete is not found
    assert uploads.list_uploads(SELLER, limit=5, cursor=None).items == []
    with pytest.raises(UploadNotFoundError):
        uploads.get_upload(SELLER, mine.upload_id)
    with pytest.raises(UploadNotFoundError):
        uploads.delete_upload(SELLER, mine.upload_id)
    with pytest.raises(UploadNotFoundError):
        uploads.delete_upload(SELLER, "not-an-id")
    # and a shopper has no uploads to list or delete
    with pytest.raises(ForbiddenError):
        uploads.list_uploads(Caller("shopper", Role.USER), limit=5, cursor=None)


def test_stockout_risk_ranks_the_products_to_restock_first(
    catalog_repo: InMemoryCatalogRepository,
) -> None:
    # Given a shop selling 2 mugs a day (4 left) and a lamp every other week (30 left)
    shop = make_shop("shop-1")
    catalog_repo.add_shop(shop)
    catalog_repo.add_product(make_product("mug", shop, stock=4))
    catalog_repo.add_product(make_product("lamp", shop, stock=30))
    catalog_repo.add_product(make_product("vase", shop, stock=0))
    today = NOW.date()
    days = tuple(
        DaySales(today - timedelta(days=k), 2500, 2)
        for k in range(1, 60)
        if (today - timedelta(days=k)).weekday() != 5
    )
    history = SalesHistory(
        "shop-1", "analytics", days, (ProductSales("mug", 56, 5600), ProductSales("lamp", 2, 600))
    )
    # When the risks over a 14-day lead time are computed
    found = stock.risks("shop-1", history, 14, MODEL)
    # Then the mug comes first (almost surely out before a restock), the lamp is safe,
    # and the unsold, empty vase is no risk
    by_id = {r.product_id: r for r in found}
    assert found[0].product_id == "mug"
    assert by_id["mug"].probability > 0.9
    assert by_id["mug"].days_of_cover is not None
    assert by_id["mug"].days_of_cover < 5
    assert by_id["lamp"].probability < 0.01
    assert by_id["vase"].probability == 0.0
    assert by_id["vase"].days_of_cover is None


def test_poisson_tail() -> None:
    assert stock.poisson_at_least(0, 3.0) == 1.0
    assert stock.poisson_at_least(1, 2.0) == pytest.approx(1 - 2.718281828**-2)
    assert stock.poisson_at_least(5, 0.0) == 0.0


def test_closed_weekdays_need_four_weeks() -> None:
    start = date(2026, 1, 5)
    short = [
        start + timedelta(days=k) for k in range(10) if (start + timedelta(days=k)).weekday() != 6
    ]
    assert sales.closed_weekdays(short) == ()
    long = [
        start + timedelta(days=k) for k in range(60) if (start + timedelta(days=k)).weekday() != 6
    ]
    assert sales.closed_weekdays(long) == (6,)
