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


def test_a_seller_lists_and_deletes_their_uploads_and_never_another_shops(http: Http) -> None:
    # Given two uploads of one seller's shop and one of another's
    seller, other = http.seller(), http.seller()
    text = "date,product,units,revenue\n2025-03-03,mug,2,19.00\n2025-03-04,lamp,1,30.00\n"
    ids = []
    for name, token in (("a.csv", seller.token), ("b.csv", seller.token), ("c.csv", other.token)):
        made = http.call("POST", "/forecasting/uploads", {"name": name, "csv": text}, token=token)
        assert made.status_code == 201, made.body
        ids.append(made.json_body["upload_id"])
    # When the seller lists their uploads one per page
    first = http.call("GET", "/forecasting/uploads?limit=1", token=seller.token)
    assert first.status_code == 200, first.body
    cursor = first.json_body["next_cursor"]
    second = http.call("GET", f"/forecasting/uploads?limit=1&cursor={cursor}", token=seller.token)
    # Then they see their two, newest first, and not the other shop's
    listed = first.json_body["items"] + second.json_body["items"]
    assert [u["name"] for u in listed] == ["b.csv", "a.csv"]
    assert listed[0] == {
        "upload_id": ids[1],
        "name": "b.csv",
        "created_at": listed[0]["created_at"],
        "rows": 2,
        "days": 2,
        "first_day": "2025-03-03",
        "last_day": "2025-03-04",
        "products": 2,
    }
    # and their cursor means nothing in another shop's list
    refused = http.call("GET", f"/forecasting/uploads?cursor={cursor}", token=other.token)
    assert refused.status_code == 400
    # When the seller deletes the other shop's upload: not found, as an unknown id is
    theirs = http.call("DELETE", f"/forecasting/uploads/{ids[2]}", token=seller.token)
    unknown = http.call("DELETE", f"/forecasting/uploads/{'0' * 32}", token=seller.token)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json_body == unknown.json_body
    kept = http.call("GET", f"/forecasting/uploads/{ids[2]}/sales", token=other.token)
    assert kept.status_code == 200
    # When the seller deletes their own: it is gone, and a second delete is not found
    gone = http.call("DELETE", f"/forecasting/uploads/{ids[0]}", token=seller.token)
    assert gone.status_code == 204
    after = http.call("GET", "/forecasting/uploads", token=seller.token).json_body
    assert [u["upload_id"] for u in after["items"]] == [ids[1]]
    assert (
        http.call("GET", f"/forecasting/uploads/{ids[0]}/sales", token=seller.token).status_code
        == 404
    )
    assert (
        http.call("DELETE", f"/forecasting/uploads/{ids[0]}", token=seller.token).status_code == 404
    )
    # and a shopper has none
    assert http.call("GET", "/forecasting/uploads").status_code == 401
