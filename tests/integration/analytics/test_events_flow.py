"""Events over HTTP (Chalice's test client) → the analytics queue on moto → the consumer →
the lake (S3) and the counters (DynamoDB) → the dashboards and CSV exports."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.core import events
from chalicelib.orders.events import OrderLineData, OrderPaid
from localcloud.deploy import Deployment
from localcloud.lambdas import LambdaRuntime
from tests.integration.analytics.conftest import (
    GOOGLEBOT,
    Http,
    consume,
    lake_objects,
    queued,
)

TODAY = datetime.now(UTC).date().isoformat()


def test_events_posted_over_http_reach_the_lake_and_the_dashboards(
    aws_env: Deployment, http: Http, runtime: LambdaRuntime
) -> None:
    # Given a seller's shop with products, and two visitors' batches (one signed in)
    seller = http.seller(products=3)
    boots, lamp, _ = seller.products
    _, shopper = http.person()
    first = http.post_events(
        [
            {"type": "shop_visit", "shop_id": seller.shop_id},
            {"type": "product_view", "product_id": boots},
            {"type": "product_view", "product_id": boots},
            {"type": "add_to_cart", "product_id": boots, "quantity": 2},
            {"type": "search", "query": "  Purple   Unicorn ", "results": 0},
        ],
        anonymous_id="anon-a",
        headers={"CloudFront-Viewer-Country": "DE"},
    )
    second = http.post_events(
        [
            {"type": "product_view", "product_id": lamp},
            {"type": "wishlist_add", "product_id": lamp},
        ],
        anonymous_id="anon-b",
        token=shopper,
        country="fr",
    )
    assert first.status_code == 202, first.body
    assert first.json_body["accepted"] == 5
    assert first.json_body["dropped"] == 0
    assert second.status_code == 202, second.body

    # When the consumer runs on what reached the queue
    records = queued(aws_env)
    assert len(records) == 2
    assert consume(runtime, records) == []

    # Then each batch is one gzip NDJSON object in its arrival partition, no IP or email
    objects = lake_objects(aws_env)
    hour = datetime.now(UTC).strftime("%H")
    assert sorted(objects) == sorted(
        f"events/dt={TODAY}/hour={hour}/{body['batch_id']}.json.gz"
        for body in (first.json_body, second.json_body)
    ) or all(key.startswith(f"events/dt={TODAY}/") for key in objects)
    lines = [
        json.loads(line) for body in objects.values() for line in gzip.decompress(body).splitlines()
    ]
    assert len(lines) == 7
    view = next(line for line in lines if line["kind"] == "product_view")
    assert view["shop_id"] == seller.shop_id
    assert view["device_type"] == "mobile"
    assert {line["country"] for line in lines} == {"DE", "FR"}
    assert not any("@" in json.dumps(line) for line in lines)

    # And the seller's dashboard counts them for today
    summary = http.call("GET", f"/analytics/shops/{seller.shop_id}/summary", token=seller.token)
    assert summary.status_code == 200, summary.body
    body = summary.json_body
    assert body["timezone"] == "UTC"
    assert body["end"] == TODAY
    totals = body["totals"]
    assert (totals["views"], totals["visits"], totals["add_to_cart"], totals["wishlist_adds"]) == (
        3,
        1,
        1,
        1,
    )
    assert body["unique_visitors"]["estimate"] == 2
    assert {c["name"]: c["count"] for c in body["countries"]} == {"DE": 4, "FR": 2}
    assert body["devices"] == [{"name": "mobile", "count": 6}]
    assert body["funnel"]["views"] == 3
    assert body["funnel"]["add_to_cart"] == 1
    assert body["trend"][-1]["period"] == TODAY
    assert body["trend"][-1]["views"] == 3

    products = http.call(
        "GET", f"/analytics/shops/{seller.shop_id}/products?sort=views", token=seller.token
    ).json_body["products"]
    assert [(p["product_id"], p["views"]) for p in products] == [(boots, 2), (lamp, 1)]
    assert products[0]["title"]

    # And the platform sees the search that found nothing (normalized)
    _, admin = http.person("admin")
    searches = http.call("GET", "/analytics/platform/searches", token=admin).json_body
    assert searches["searches"] == [{"query": "purple unicorn", "count": 1}]

    # And the CSV export parses and sums to the API's totals
    exported = http.call(
        "GET",
        f"/analytics/shops/{seller.shop_id}/export?table=trend&granularity=week",
        token=seller.token,
    )
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.body.decode())))
    assert sum(int(row["views"]) for row in rows) == totals["views"]
    assert sum(int(row["add_to_cart"]) for row in rows) == totals["add_to_cart"]


def test_a_paid_order_raises_purchases_and_revenue_for_its_shop_and_day(
    aws_env: Deployment, http: Http, runtime: LambdaRuntime
) -> None:
    # Given a shop and an order.paid event on the bus (as the checkout saga publishes it)
    seller = http.seller(products=2)
    other = http.seller(products=1)
    paid = OrderPaid(
        order_id="order-1",
        checkout_id="checkout-1",
        user_id="buyer-1",
        shop_id=seller.shop_id,
        total=6500,
        currency="USD",
        lines=[
            OrderLineData(product_id=seller.products[0], title="A", quantity=2, unit_price=2500),
            OrderLineData(product_id=seller.products[1], title="B", quantity=1, unit_price=2000),
        ],
    )
    events.publish(paid)

    # When the rule's queue is consumed
    records = queued(aws_env)
    assert len(records) == 1
    assert consume(runtime, records) == []

    # Then the shop's day has one order, its revenue and units; the other shop nothing
    body = http.call(
        "GET", f"/analytics/shops/{seller.shop_id}/summary", token=seller.token
    ).json_body
    assert (body["totals"]["orders"], body["totals"]["revenue"], body["totals"]["units"]) == (
        1,
        6500,
        3,
    )
    assert body["trend"][-1] == {**body["trend"][-1], "period": TODAY, "orders": 1, "revenue": 6500}
    top = http.call(
        "GET", f"/analytics/shops/{seller.shop_id}/products?sort=revenue", token=seller.token
    ).json_body["products"]
    assert [(p["product_id"], p["units"], p["revenue"]) for p in top] == [
        (seller.products[0], 2, 5000),
        (seller.products[1], 1, 2000),
    ]
    other_totals = http.call(
        "GET", f"/analytics/shops/{other.shop_id}/summary", token=other.token
    ).json_body["totals"]
    assert other_totals["orders"] == 0
    assert other_totals["revenue"] == 0

    # And a redelivered batch (the same records again) changes nothing
    assert consume(runtime, records) == []
    again = http.call(
        "GET", f"/analytics/shops/{seller.shop_id}/summary", token=seller.token
    ).json_body
    assert again["totals"] == body["totals"]


def test_a_redelivered_client_batch_changes_nothing_twice(
    aws_env: Deployment, http: Http, runtime: LambdaRuntime
) -> None:
    # Given a batch counted once
    seller = http.seller(products=1)
    views = [{"type": "product_view", "product_id": seller.products[0]}] * 4
    assert http.post_events(views, anonymous_id="anon-r").status_code == 202
    records = queued(aws_env)
    assert consume(runtime, records) == []
    before = http.call(
        "GET", f"/analytics/shops/{seller.shop_id}/summary", token=seller.token
    ).json_body

    # When SQS delivers it again, also twice within one batch
    assert consume(runtime, records + records) == []

    # Then the counters, the visitors and the lake are as they were
    after = http.call(
        "GET", f"/analytics/shops/{seller.shop_id}/summary", token=seller.token
    ).json_body
    assert after["totals"] == before["totals"]
    assert after["totals"]["views"] == 4
    assert after["unique_visitors"] == before["unique_visitors"]
    assert len(lake_objects(aws_env)) == 1


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (
            {"events": [{"type": "product_view", "product_id": "p"}] * 51},
            "events",
            "EVENT_BATCH_REJECTED",
        ),
        ({"events": [{"type": "page_scroll"}]}, "events.0", "VALIDATION_FAILED"),
        ({"country": "XX"}, "country", "VALIDATION_FAILED"),
        (
            {
                "events": [
                    {"type": "product_view", "product_id": "p"},
                    {
                        "type": "product_view",
                        "product_id": "p",
                        "at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
                    },
                ]
            },
            "events.1.at",
            "EVENT_BATCH_REJECTED",
        ),
        (
            {
                "events": [
                    {"type": "search", "query": "x", "results": 0, "at": "2020-01-01T00:00:00Z"}
                ]
            },
            "events.0.at",
            "EVENT_BATCH_REJECTED",
        ),
        ({"events": []}, "events", "VALIDATION_FAILED"),
    ],
)
def test_a_bad_batch_is_refused_with_its_reason_and_nothing_is_kept(
    aws_env: Deployment, http: Http, change: dict[str, object], field: str, code: str
) -> None:
    # Given a batch with one thing wrong (the rest of it fine)
    body = {
        "anonymous_id": "anon-x",
        "session_id": "s-1",
        "events": [{"type": "product_view", "product_id": "p"}],
        **change,
    }

    # When it is posted
    response = http.call("POST", "/analytics/events", body)

    # Then it is refused, naming the field, and nothing reached the queue
    assert response.status_code == 422, response.body
    error = response.json_body["error"]
    assert error["code"] == code
    assert any(detail["field"].startswith(field) for detail in error["details"]), error
    assert queued(aws_env) == []


def test_a_crawler_batch_is_dropped_and_a_source_over_its_budget_is_limited(
    aws_env: Deployment, http: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core.settings import get_settings, reset_settings

    monkeypatch.setenv("BAZAAR_ANALYTICS_RATE_LIMIT", "2")
    reset_settings()
    assert get_settings().analytics_rate_limit == 2  # read now (the test client then swaps env)
    view = [{"type": "product_view", "product_id": "p"}]
    bot = http.post_events(view, headers={"User-Agent": GOOGLEBOT})
    assert bot.status_code == 202
    assert bot.json_body == {
        "batch_id": None,
        "accepted": 0,
        "dropped": 1,
    }
    assert http.post_events(view).status_code == 202
    limited = http.post_events(view)
    assert limited.status_code == 429, limited.body
    assert limited.json_body["error"]["code"] == "RATE_LIMITED"
    assert len(queued(aws_env)) == 1


def test_a_seller_reads_only_their_own_shop_and_an_admin_reads_any(
    aws_env: Deployment, http: Http
) -> None:
    # Given two sellers, a shopper and an admin
    mine, theirs = http.seller(products=1), http.seller(products=1)
    _, shopper = http.person()
    _, admin = http.person("admin")

    for route in ("summary", "products", "searches", "export?table=products"):
        # Then a seller is refused another shop's dashboard and export (403)
        other = http.call("GET", f"/analytics/shops/{theirs.shop_id}/{route}", token=mine.token)
        assert other.status_code == 403, (route, other.body)
        # And the shopper too, while the admin reads either shop
        assert (
            http.call("GET", f"/analytics/shops/{mine.shop_id}/{route}", token=shopper).status_code
            == 403
        )
        assert (
            http.call("GET", f"/analytics/shops/{theirs.shop_id}/{route}", token=admin).status_code
            == 200
        )
        assert (
            http.call(
                "GET", f"/analytics/shops/{mine.shop_id}/{route}", token=mine.token
            ).status_code
            == 200
        )
    # And only an admin reads the platform; an unknown shop is 404 for the admin
    assert http.call("GET", "/analytics/platform/summary", token=mine.token).status_code == 403
    assert http.call("GET", "/analytics/platform/summary", token=admin).status_code == 200
    assert http.call("GET", "/analytics/shops/nope/summary", token=admin).status_code == 404
    assert http.call("GET", "/analytics/platform/summary").status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-02-01&to=2026-01-01",
        "from=2020-01-01&to=2026-01-01",
        "granularity=hour",
        "from=yesterday",
        "color=blue",
    ],
)
def test_a_bad_range_or_granularity_is_refused(aws_env: Deployment, http: Http, query: str) -> None:
    _, admin = http.person("admin")
    response = http.call("GET", f"/analytics/platform/summary?{query}", token=admin)
    assert response.status_code == 422, response.body


def test_the_lake_bucket_and_queue_exist_with_a_dlq(aws_env: Deployment) -> None:
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws_env.physical["AnalyticsEventsQueue"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert "analytics-events-dlq" in attributes["RedrivePolicy"]
    boto3.client("s3").head_bucket(Bucket=aws_env.physical["AnalyticsLakeBucket"])
