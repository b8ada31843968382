"""Forecasting over HTTP on moto: a seller's own shop (never another's), the admin's
platform, the SVG plot, stock-out risks from the catalog's stock, and CSV uploads that
are stored whole or not at all."""

from __future__ import annotations

from datetime import date, timedelta

import boto3

from chalicelib.core import clock
from localcloud.deploy import Deployment
from tests.integration.forecasting.conftest import Http, seed_sales


def _table_items(aws_env: Deployment) -> int:
    table = aws_env.physical["ForecastTable"]
    return int(boto3.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"])


def test_a_seller_reads_their_shops_forecast_and_never_another_shops(http: Http) -> None:
    # Given two sellers, the first with 90 days of sales
    mine, theirs = http.seller(), http.seller()
    seed_sales(mine.shop_id, {mine.products[0]: 4, mine.products[1]: 1})
    # When the first reads their forecast, plot, demand and stock-out risks
    got = http.call("GET", f"/forecasting/shops/{mine.shop_id}/sales?days=30", token=mine.token)
    plot = http.call("GET", f"/forecasting/shops/{mine.shop_id}/sales/plot", token=mine.token)
    yearly = http.call(
        "GET", f"/forecasting/shops/{mine.shop_id}/sales?horizon=long", token=mine.token
    )
    demand = http.call(
        "GET", f"/forecasting/shops/{mine.shop_id}/demand?measure=units", token=mine.token
    )
    risks = http.call(
        "GET", f"/forecasting/shops/{mine.shop_id}/stockouts?lead_days=30", token=mine.token
    )
    # Then they get a forecast with intervals, on their own level, without Saturdays
    assert got.status_code == 200, got.body
    body = got.json_body
    assert body["closed_weekdays"] == [5]
    assert body["model_version"] == "v2"
    today = clock.now().date()
    open_days = [today + timedelta(days=k) for k in range(30)]
    assert [p["period"] for p in body["forecast"]] == [
        str(d) for d in open_days if d.weekday() != 5
    ]
    assert all(p["lower"] < p["median"] < p["upper"] for p in body["forecast"])
    assert 2_000 < body["forecast"][0]["median"] < 30_000  # about 5-8 units x 15.00 a day
    assert plot.status_code == 200
    assert plot.headers["Content-Type"] == "image/svg+xml"
    assert plot.body.startswith(b"<svg")
    assert b"forecast" in plot.body
    assert yearly.status_code == 200
    assert len(yearly.json_body["forecast"]) == 12
    assert demand.status_code == 200
    assert demand.json_body["moving_average_7"] > 0
    assert risks.status_code == 200, risks.body
    ranked = risks.json_body["products"]
    assert ranked[0]["product_id"] == mine.products[0]  # 4 a day sells out first
    assert ranked[0]["daily_demand"] > ranked[1]["daily_demand"]
    # …and the other seller is refused every one of them (403), the admin is not
    for path in ("sales", "sales/plot", "demand", "stockouts"):
        refused = http.call("GET", f"/forecasting/shops/{mine.shop_id}/{path}", token=theirs.token)
        assert refused.status_code == 403, (path, refused.body)
        assert refused.json_body["error"]["code"] == "FORBIDDEN"
    admin = http.person("admin")
    assert (
        http.call("GET", f"/forecasting/shops/{mine.shop_id}/sales", token=admin).status_code == 200
    )
    assert http.call("GET", "/forecasting/shops/nope/sales", token=admin).status_code == 404
    assert http.call("GET", "/forecasting/platform/sales", token=admin).status_code == 200
    assert http.call("GET", "/forecasting/platform/sales", token=mine.token).status_code == 403


def test_a_malformed_csv_upload_is_refused_per_row_and_nothing_is_stored(
    http: Http, aws_env: Deployment
) -> None:
    seller = http.seller()
    bad = (
        "date,product,units,revenue\n2026-01-05,mug,2,25.00\n"
        "2026-13-01,mug,2,25.00\n2026-01-06,mug,two,25.00\n"
    )
    refused = http.call("POST", "/forecasting/uploads", {"csv": bad}, token=seller.token)
    assert refused.status_code == 422, refused.body
    details = refused.json_body["error"]["details"]
    assert {(d["row"], d["field"]) for d in details} == {(3, "date"), (4, "units")}
    assert _table_items(aws_env) == 0


def test_an_uploaded_history_is_forecast_for_its_shop_only(http: Http) -> None:
    seller, other = http.seller(), http.seller()
    lines = ["date,product,units,revenue"]
    start = date(2025, 1, 6)
    for k in range(150):
        day = start + timedelta(days=k)
        if day.weekday() != 6:
            lines.append(f"{day},mug,{3 + k % 3},{(3 + k % 3) * 9.5:.2f}")
    created = http.call(
        "POST",
        "/forecasting/uploads",
        {"name": "shop.csv", "csv": "\n".join(lines)},
        token=seller.token,
    )
    assert created.status_code == 201, created.body
    upload_id = created.json_body["upload_id"]
    assert created.json_body["days"] == len(lines) - 1
    got = http.call("GET", f"/forecasting/uploads/{upload_id}/sales", token=seller.token)
    assert got.status_code == 200, got.body
    assert got.json_body["closed_weekdays"] == [6]
    assert got.json_body["forecast"][0]["period"] == str(start + timedelta(days=150))
    plot = http.call(
        "GET", f"/forecasting/uploads/{upload_id}/sales/plot?horizon=long", token=seller.token
    )
    assert plot.status_code == 200
    assert plot.body.startswith(b"<svg")
    demand = http.call("GET", f"/forecasting/uploads/{upload_id}/demand", token=seller.token)
    assert demand.status_code == 200
    assert (
        http.call("GET", f"/forecasting/uploads/{upload_id}/sales", token=other.token).status_code
        == 404
    )
