"""Collecting, counting and reading analytics on in-memory fakes (no AWS)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.analytics import device
from chalicelib.analytics.domain import (
    PLATFORM,
    CounterKey,
    DateRange,
    Device,
    DeviceType,
    Fact,
    FactBatch,
    FactKind,
    Grain,
    Granularity,
    ProductSort,
)
from chalicelib.analytics.errors import EventBatchRejectedError
from chalicelib.analytics.schemas import EventBatchRequest, RangeQuery
from chalicelib.analytics.service import aggregate, collect, dashboards, facts
from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ForbiddenError, RateLimitedError, ValidationFailedError
from chalicelib.orders.events import OrderLineData, OrderPaid
from tests.fakes.analytics import FakeAnalyticsRepository, FakeLake, FakeQueue
from tests.fakes.catalog import InMemoryCatalogRepository, make_product, make_shop

pytestmark = pytest.mark.usefixtures("catalog_repo")
Fakes = tuple[FakeAnalyticsRepository, FakeQueue, FakeLake]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PHONE = Device(DeviceType.MOBILE, "iOS", "Mobile Safari")


@pytest.fixture
def shop(catalog_repo: InMemoryCatalogRepository) -> list[str]:
    made = catalog_repo.add_shop(make_shop("shop-1", "seller-1"))
    for n in range(150):
        catalog_repo.add_product(make_product(f"p-{n}", made))
    return [f"p-{n}" for n in range(150)]


def client_batch(
    batch_id: str, *kinds_and_products: tuple[FactKind, str], visitor: str = "v-1"
) -> FactBatch:
    return FactBatch(
        batch_id,
        NOW,
        tuple(
            Fact(
                kind,
                NOW,
                NOW,
                "client",
                visitor=visitor,
                product_id=product,
                device=PHONE,
                country="DE",
            )
            for kind, product in kinds_and_products
        ),
    )


def test_a_consumer_batch_updates_each_counter_item_once(
    analytics_fakes: Fakes, shop: list[str]
) -> None:
    repo, _, lake = analytics_fakes
    # Given ten client batches that all view the same hot product
    batches = [
        client_batch(f"b-{n}", *[(FactKind.PRODUCT_VIEW, "p-0")] * 5, visitor=f"v-{n}")
        for n in range(10)
    ]
    # When they are recorded together
    result = aggregate.record(batches)
    # Then one transaction added 50 views with one update per item (day and product items,
    # for the shop and the platform), and each batch is one lake object
    assert sorted(result.applied) == sorted(b.batch_id for b in batches)
    assert not result.failed
    assert (repo.transactions, repo.updates) == (1, 6)
    assert repo.counters[CounterKey("shop-1", Grain.PRODUCT_DAY, "2026-11-20", "p-0")] == {
        "views": 50
    }
    assert repo.counters[CounterKey(PLATFORM, Grain.DAY, "2026-11-20")]["device:mobile"] == 50
    assert len(lake.objects) == 10
    assert len(lake.lines()) == 50


def test_a_redelivered_batch_changes_nothing_and_others_in_its_batch_still_count(
    analytics_fakes: Fakes, shop: list[str]
) -> None:
    repo, _, _ = analytics_fakes
    first = client_batch("b-1", (FactKind.ADD_TO_CART, "p-1"))
    aggregate.record([first])
    # When it comes again together with a new batch
    result = aggregate.record([first, client_batch("b-2", (FactKind.ADD_TO_CART, "p-1"))])
    # Then only the new one is counted
    assert (result.applied, result.duplicates) == (["b-2"], ["b-1"])
    assert repo.counters[CounterKey("shop-1", Grain.DAY, "2026-11-20")]["add_to_cart"] == 2


def test_batches_touching_many_items_are_split_into_transactions_of_at_most_100(
    analytics_fakes: Fakes, shop: list[str]
) -> None:
    repo, _, _ = analytics_fakes
    # Given batches viewing 150 different products (4 items each, with shop and platform)
    batches = [
        client_batch(f"b-{n}", *[(FactKind.PRODUCT_VIEW, p) for p in shop[n * 10 : n * 10 + 10]])
        for n in range(15)
    ]
    result = aggregate.record(batches)
    assert len(result.applied) == 15
    assert repo.transactions > 1
    views = sum(
        values.get("views", 0)
        for key, values in repo.counters.items()
        if key.grain is Grain.PRODUCT_MONTH and key.scope == "shop-1"
    )
    assert views == 150


def test_a_batch_touching_more_items_than_a_transaction_is_counted_in_parts_once(
    analytics_fakes: Fakes, shop: list[str]
) -> None:
    repo, _, _ = analytics_fakes
    # Given one client batch viewing 50 different products (202 counter items)
    big = client_batch("big", *[(FactKind.PRODUCT_VIEW, p) for p in shop[:50]])
    # When it is recorded, and delivered again
    first = aggregate.record([big])
    again = aggregate.record([big])
    # Then it was written in parts (a marker each) and counted once
    assert first.applied == ["big"]
    assert again.duplicates == ["big"]
    assert len(repo.markers) == 3
    assert repo.counters[CounterKey("shop-1", Grain.DAY, "2026-11-20")]["views"] == 50
    views = sum(
        values.get("views", 0)
        for key, values in repo.counters.items()
        if key.grain is Grain.PRODUCT_DAY and key.scope == PLATFORM
    )
    assert views == 50


def test_unknown_products_count_only_in_the_lake(analytics_fakes: Fakes, shop: list[str]) -> None:
    repo, _, lake = analytics_fakes
    aggregate.record([client_batch("b-1", (FactKind.PRODUCT_VIEW, "nope"))])
    assert repo.counters == {}
    assert len(lake.lines()) == 1


def test_a_paid_order_counts_orders_revenue_and_units_for_its_shop_and_the_platform(
    analytics_fakes: Fakes, shop: list[str]
) -> None:
    repo, _, _ = analytics_fakes
    paid = OrderPaid(
        order_id="o-1",
        checkout_id="c-1",
        user_id="u-1",
        shop_id="shop-1",
        total=4500,
        currency="USD",
        lines=[OrderLineData(product_id="p-1", title="P", quantity=2, unit_price=2500)],
    )
    batch = facts.from_bus("event-1", NOW, paid)
    aggregate.record([batch])
    aggregate.record([batch])
    for scope in ("shop-1", PLATFORM):
        day = repo.counters[CounterKey(scope, Grain.DAY, "2026-11-20")]
        assert (day["orders"], day["revenue"], day["units"]) == (1, 4500, 2)
    assert repo.counters[CounterKey("shop-1", Grain.PRODUCT_MONTH, "2026-11", "p-1")] == {
        "units": 2,
        "revenue": 5000,
        "orders": 1,
    }


def test_a_batch_is_queued_whole_or_refused_whole(analytics_fakes: Fakes) -> None:
    _, queue, _ = analytics_fakes
    good = {"type": "product_view", "product_id": "p-1"}
    with clock.controlled(NOW):
        late = {**good, "at": (NOW + timedelta(minutes=10)).isoformat()}
        body = EventBatchRequest.model_validate(
            {"anonymous_id": "a", "session_id": "s", "events": [good, late]}
        )
        with pytest.raises(EventBatchRejectedError) as refused:
            collect.collect(
                body,
                caller=None,
                user_agent="Mozilla/5.0 (Windows NT 10.0)",
                viewer_country=None,
                source_ip="1.2.3.4",
            )
        assert refused.value.details[0]["field"] == "events.1.at"
        assert queue.sent == []
        # When the batch is fine, one message holds all of it, with no IP address in it
        body = EventBatchRequest.model_validate(
            {"anonymous_id": "a", "session_id": "s", "country": "fr", "events": [good, good]}
        )
        signed_in = Caller(account_id="acc-9", role=Role.USER, email="ann@example.com")
        done = collect.collect(
            body, caller=signed_in, user_agent=None, viewer_country="de", source_ip="1.2.3.4"
        )
    assert done.accepted == 2
    assert len(queue.sent) == 1
    message = json.loads(queue.sent[0])
    assert [f["country"] for f in message["facts"]] == ["DE", "DE"]
    assert {f["visitor"] for f in message["facts"]} == {"acc-9"}
    assert "1.2.3.4" not in queue.sent[0]
    assert "ann@example.com" not in queue.sent[0]


def test_a_source_is_limited_per_window(
    analytics_fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core.settings import reset_settings

    monkeypatch.setenv("BAZAAR_ANALYTICS_RATE_LIMIT", "1")
    reset_settings()
    body = EventBatchRequest.model_validate(
        {"anonymous_id": "a", "session_id": "s", "events": [{"type": "shop_visit", "shop_id": "x"}]}
    )
    collect.collect(body, caller=None, user_agent=None, viewer_country=None, source_ip="9.9.9.9")
    with pytest.raises(RateLimitedError):
        collect.collect(
            body, caller=None, user_agent=None, viewer_country=None, source_ip="9.9.9.9"
        )
    collect.collect(body, caller=None, user_agent=None, viewer_country=None, source_ip="8.8.8.8")
    reset_settings()


@pytest.mark.parametrize(
    ("header", "claimed", "country"),
    [("DE", "FR", "DE"), (None, "fr", "FR"), ("XX", None, "unknown"), (None, None, "unknown")],
)
def test_the_country_comes_from_cloudfront_then_the_client(
    header: Any, claimed: Any, country: str
) -> None:
    assert collect.country_of(header, claimed) == country


@pytest.mark.parametrize(
    ("agent", "kind"),
    [
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1",
            "mobile",
        ),
        ("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15", "tablet"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 "
            "Safari/537.36",
            "desktop",
        ),
        (None, "other"),
    ],
)
def test_the_device_type_comes_from_the_user_agent(agent: str | None, kind: str) -> None:
    assert device.parse(agent).type == kind


def test_a_range_reads_whole_months_from_month_items_and_the_rest_from_days() -> None:
    months, days = dashboards._month_cover(DateRange(date(2026, 1, 15), date(2026, 4, 14)))
    assert months == ("2026-02", "2026-03")
    assert days == [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 14))]
    assert dashboards._month_cover(DateRange(date(2026, 3, 1), date(2026, 3, 31))) == (
        ("2026-03", "2026-03"),
        [],
    )
    assert dashboards._month_cover(DateRange(date(2026, 3, 2), date(2026, 3, 30))) == (
        None,
        [(date(2026, 3, 2), date(2026, 3, 30))],
    )
    # A range up to today reads the current month's item (it holds nothing after today)
    today = date(2026, 11, 28)
    assert dashboards._month_cover(DateRange(date(2026, 8, 31), today), today) == (
        ("2026-09", "2026-11"),
        [(date(2026, 8, 31), date(2026, 8, 31))],
    )
    assert dashboards._month_cover(DateRange(date(2026, 11, 3), today), today) == (
        None,
        [(date(2026, 11, 3), today)],
    )


def test_the_trend_has_every_period_of_the_range_and_sums_to_the_totals(
    analytics_fakes: Fakes, shop: list[str]
) -> None:
    batches = [
        FactBatch(
            f"b-{n}",
            NOW,
            (
                Fact(
                    FactKind.PRODUCT_VIEW,
                    NOW - timedelta(days=n),
                    NOW,
                    "client",
                    visitor=f"v{n}",
                    product_id="p-1",
                ),
            ),
        )
        for n in range(20)
    ]
    aggregate.record(batches)
    query = RangeQuery.model_validate(
        {"from": "2026-11-01", "to": "2026-11-20", "granularity": "week"}
    )
    with clock.controlled(NOW):
        summary = dashboards.summary("shop-1", query)
        top = dashboards.top_products("shop-1", query, ProductSort.VIEWS, 5)
    assert [p.period for p in summary.trend] == [
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
    ]
    assert sum(p.views for p in summary.trend) == summary.totals["views"] == 20
    assert summary.visitors is not None
    assert summary.visitors.estimate == 20
    assert summary.granularity is Granularity.WEEK
    assert [(p.product_id, p.views) for p in top] == [("p-1", 20)]


def test_a_seller_reads_only_their_shop(catalog_repo: InMemoryCatalogRepository) -> None:
    catalog_repo.add_shop(make_shop("shop-1", "seller-1"))
    seller = Caller(account_id="seller-1", role=Role.SELLER, shop_id="shop-1")
    assert dashboards.shop_scope(seller, "shop-1") == "shop-1"
    with pytest.raises(ForbiddenError):
        dashboards.shop_scope(seller, "shop-2")
    admin = Caller(account_id="admin", role=Role.ADMIN)
    assert dashboards.shop_scope(admin, "shop-1") == "shop-1"


@pytest.mark.parametrize(
    "values",
    [
        {"from": "2026-11-10", "to": "2026-11-01"},
        {"from": "2024-01-01", "to": "2026-11-01"},
        {"to": "2027-01-01"},
    ],
)
def test_a_bad_range_is_refused(values: dict[str, str]) -> None:
    with clock.controlled(NOW), pytest.raises(ValidationFailedError):
        dashboards.date_range(RangeQuery.model_validate(values))
