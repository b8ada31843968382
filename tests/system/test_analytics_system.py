"""Analytics on the running local cloud: events posted over real HTTP reach the lake (S3)
and the aggregates through the queue and the consumer the local cloud runs; a paid
checkout raises its shop's purchases and revenue for today; the demo seller's dashboard
and CSV show the seeded history."""

from __future__ import annotations

import csv
import gzip
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.fixtures.accounts import sign_in
from tests.fixtures.cloud import RunningCloud, pointed_at, wait_for
from tests.system.test_checkout_system import (
    World,
    add_to_cart,
    checkout,
    make_world,
    new_product,
    settled,
)

pytestmark = pytest.mark.system
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"


@pytest.fixture(scope="module")
def world(cloud: RunningCloud) -> Iterator[World]:
    with pointed_at(cloud):
        yield from make_world(cloud, shoppers=2)


def summary(world: World, shop_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = world.http.get(f"/analytics/shops/{shop_id}/summary", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def shop_of(world: World, headers: dict[str, str]) -> str:
    return str(world.http.get("/me", headers=headers).json()["shop_id"])


def test_events_over_http_reach_the_lake_and_the_aggregates(world: World) -> None:
    # Given a seller's product and a visitor's batch
    product = new_product(world, 5)
    shop_id = shop_of(world, world.seller.headers)
    visitor = f"anon-{uuid.uuid4().hex[:8]}"
    response = world.http.post(
        "/analytics/events",
        headers={"User-Agent": IPHONE, "CloudFront-Viewer-Country": "NL"},
        json={
            "anonymous_id": visitor,
            "session_id": "s-1",
            "events": [
                {"type": "product_view", "product_id": product},
                {"type": "product_view", "product_id": product},
                {"type": "add_to_cart", "product_id": product},
            ],
        },
    )
    assert response.status_code == 202, response.text
    batch_id = response.json()["batch_id"]

    # When the local cloud's consumer has run, the seller's dashboard counts them
    def counted() -> dict[str, Any] | None:
        body = summary(world, shop_id, world.seller.headers)
        return body if body["totals"]["views"] >= 2 else None

    body = wait_for(counted, timeout=30, what="the views to be counted")
    assert body["totals"]["add_to_cart"] == 1
    assert {c["name"] for c in body["countries"]} == {"NL"}

    # Then the batch is one gzip NDJSON object in today's partition of the lake bucket
    s3 = world.cloud.client("s3")
    bucket = world.cloud.info()["environment"]["BAZAAR_ANALYTICS_LAKE_BUCKET"]
    today = datetime.now(UTC).date().isoformat()
    keys = [
        item["Key"]
        for item in s3.list_objects_v2(Bucket=bucket, Prefix=f"events/dt={today}/").get(
            "Contents", []
        )
        if item["Key"].endswith(f"/{batch_id}.json.gz")
    ]
    assert len(keys) == 1
    raw = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    lines = [json.loads(line) for line in gzip.decompress(raw).splitlines()]
    assert [line["kind"] for line in lines] == ["product_view", "product_view", "add_to_cart"]
    assert {line["visitor"] for line in lines} == {visitor}


def test_a_paid_checkout_raises_purchases_and_revenue_for_its_shop_and_day(
    world: World,
) -> None:
    # Given a shop's product at 2500 and the shop's figures now
    product = new_product(world, 5, price=2500)
    shop_id = shop_of(world, world.seller.headers)
    other_shop = shop_of(world, world.other_seller.headers)
    before = summary(world, shop_id, world.seller.headers)["totals"]
    other_before = summary(world, other_shop, world.other_seller.headers)["totals"]

    # When a shopper buys two and the checkout is paid
    shopper = world.shopper()
    add_to_cart(world, shopper, product, 2)
    done = settled(world, shopper, checkout(world, shopper)["checkout_id"])
    assert done["status"] == "PAID", done

    # Then today's figures of that shop rise by one order, 5000 and two units
    def raised() -> dict[str, Any] | None:
        totals = summary(world, shop_id, world.seller.headers)["totals"]
        return totals if totals["orders"] > before["orders"] else None

    after = wait_for(raised, timeout=30, what="the paid order to be counted")
    assert after["orders"] - before["orders"] == 1
    assert after["revenue"] - before["revenue"] == 5000
    assert after["units"] - before["units"] == 2
    trend = summary(world, shop_id, world.seller.headers)["trend"]
    assert trend[-1]["period"] == datetime.now(UTC).date().isoformat()
    assert trend[-1]["revenue"] >= 5000
    # And the other shop's figures did not move
    assert summary(world, other_shop, world.other_seller.headers)["totals"] == other_before


def test_the_demo_dashboards_show_the_seeded_history(cloud: RunningCloud) -> None:
    with httpx.Client(base_url=cloud.rest, timeout=30) as http:
        seller = sign_in(http, "seller@bazaar.example.com", "Demo-Store-Pass-2026")
        admin = sign_in(http, "admin@bazaar.example.com", "Demo-Boss-Pass-2026")
        shop_id = http.get("/me", headers=seller).json()["shop_id"]
        body = http.get(f"/analytics/shops/{shop_id}/summary", headers=seller).json()
        if not body["totals"]["orders"]:
            pytest.skip("no ../shared/data beside the project: the demo has no history")
        exported = http.get(
            f"/analytics/shops/{shop_id}/export", params={"table": "trend"}, headers=seller
        )
        assert exported.status_code == 200
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert sum(int(row["revenue"]) for row in rows) == body["totals"]["revenue"]
        assert sum(int(row["orders"]) for row in rows) == body["totals"]["orders"]
        platform = http.get("/analytics/platform/summary", headers=admin).json()
        assert platform["totals"]["revenue"] >= body["totals"]["revenue"] > 0
        other = http.get("/analytics/platform/summary", headers=seller)
        assert other.status_code == 403
