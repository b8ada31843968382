"""The catalog on the running local cloud: uploads through S3, the index, purges by schedule."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.fixtures.cloud import RunningCloud, wait_for

pytestmark = pytest.mark.system
SELLER = ("seller2@bazaar.example.com", "Demo-Store-Pass-2026")
SHOPPER = ("shopper@bazaar.example.com", "Demo-Buyer-Pass-2026")
PASSWORD = "Sturdy-Pass-2026"


def login(cloud: RunningCloud, email: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{cloud.rest}/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def sign_up_seller(cloud: RunningCloud) -> tuple[str, dict[str, str]]:
    email = f"purged.{uuid.uuid4().hex[:8]}@catalog.example.com"
    registered = httpx.post(
        f"{cloud.rest}/auth/register", json={"email": email, "password": PASSWORD, "role": "seller"}
    )
    assert registered.status_code == 202, registered.text
    mail = wait_for(
        lambda: httpx.get(f"{cloud.rest}/dev/mailbox", params={"email": email}, timeout=15).json()[
            "messages"
        ],
        timeout=90,
        what="verification email",
    )
    verified = httpx.post(
        f"{cloud.rest}/auth/verify-email", json={"email": email, "code": mail[0]["code"]}
    )
    assert verified.status_code == 200, verified.text
    return email, login(cloud, email, PASSWORD)


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def new_product(cloud: RunningCloud, headers: dict[str, str], title: str) -> dict[str, Any]:
    response = httpx.post(
        f"{cloud.rest}/products",
        headers=headers,
        json={
            "title": title,
            "category": "home",
            "subcategory": "lighting",
            "brand": "Lumen",
            "colors": ["yellow"],
            "regular_price": 3499,
            "stock": 4,
        },
    )
    assert response.status_code == 201, response.text
    product: dict[str, Any] = response.json()
    return product


def search_ids(cloud: RunningCloud, query: str) -> set[str]:
    body = httpx.get(f"{cloud.rest}/products?{query}").json()
    return {item["product_id"] for item in body["items"]}


def test_seed_made_shops_products_and_a_cart(cloud: RunningCloud) -> None:
    shops = httpx.get(f"{cloud.rest}/shops").json()["items"]
    assert {"Demo Sneaker Barn", "Demo Home Goods", "Demo Outdoor Co"} <= {s["name"] for s in shops}
    page = httpx.get(f"{cloud.rest}/products?category=shoes&sort=price_asc&limit=5").json()
    prices = [item["price"] for item in page["items"]]
    assert len(prices) == 5
    assert prices == sorted(prices)
    assert page["items"][0]["thumbnail_url"]
    cart = httpx.get(f"{cloud.rest}/cart", headers=login(cloud, *SHOPPER)).json()
    assert cart["lines"]


def test_an_uploaded_image_goes_through_s3_and_the_bus_to_the_product(cloud: RunningCloud) -> None:
    headers = login(cloud, *SELLER)
    product = new_product(cloud, headers, f"Glow Lamp {uuid.uuid4().hex[:6]}")
    path = f"{cloud.rest}/products/{product['product_id']}"
    wait_for(
        lambda: product["product_id"] in search_ids(cloud, "q=glow&category=home"),
        what="product indexed",
    )
    for data, expected in ((png(900, 600), "READY"), (b"<html>not an image</html>", "REJECTED")):
        grant = httpx.post(
            f"{path}/images", headers=headers, json={"content_type": "image/png", "size": len(data)}
        ).json()
        uploaded = httpx.post(
            grant["url"], data=grant["fields"], files={"file": ("photo.png", data, "image/png")}
        )
        assert uploaded.status_code in (200, 201, 204), uploaded.text
        ticket = wait_for(
            lambda grant=grant: (
                (t := httpx.get(f"{path}/images/{grant['image_id']}", headers=headers).json())[
                    "status"
                ]
                in ("READY", "REJECTED")
                and t
            ),
            what="image processed",
        )
        assert ticket["status"] == expected, ticket
    detail = httpx.get(path).json()
    (image,) = detail["images"]
    assert (image["width"], image["height"]) == (900, 600)
    thumbnail = httpx.get(image["thumbnail_url"])
    assert Image.open(io.BytesIO(thumbnail.content)).format == "JPEG"


def backdate(cloud: RunningCloud, key: dict[str, Any], names: dict[str, str]) -> None:
    """Move a soft delete's restore deadline into the past (as if the window passed)."""
    table = cloud.info()["resources"]["CatalogTable"]
    expression = ", ".join(f"{name} = :{name}" for name in names)
    cloud.client("dynamodb").update_item(
        TableName=table,
        Key=key,
        UpdateExpression=f"SET {expression}",
        ExpressionAttributeValues={f":{name}": {"S": value} for name, value in names.items()},
    )


def run_purge(cloud: RunningCloud, workflow: str) -> dict[str, Any]:
    schedule = next(s["name"] for s in cloud.info()["schedules"] if s["name"].endswith(workflow))
    result = cloud.run_schedule(schedule)
    assert result["error"] is None, result
    sfn = cloud.client("stepfunctions")
    arn = result["payload"]["execution_arn"]
    described = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
        what=f"{workflow} workflow",
    )
    assert described["status"] == "SUCCEEDED", described
    output: dict[str, Any] = json.loads(described["output"])
    return output


def test_product_purge_workflow_runs_from_its_schedule(cloud: RunningCloud) -> None:
    headers = login(cloud, *SELLER)
    product = new_product(cloud, headers, "Purge Me Lamp")
    product_id = product["product_id"]
    deleted = httpx.delete(f"{cloud.rest}/products/{product_id}", headers=headers)
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "DELETED"
    past = "2000-01-01T00:00:00.000000+0000"
    key = {"pk": {"S": f"PRODUCT#{product_id}"}, "sk": {"S": "PRODUCT"}}
    backdate(cloud, key, {"purge_after": past, "gsi2sk": f"2000-01-01T00:00:00+00:00#{product_id}"})

    output = run_purge(cloud, "product-purge")
    assert output["purged"] >= 1
    assert httpx.get(f"{cloud.rest}/products/{product_id}").status_code == 404
    table = cloud.info()["resources"]["CatalogTable"]
    assert "Item" not in cloud.client("dynamodb").get_item(TableName=table, Key=key)


def test_shop_purge_workflow_removes_the_shop_and_blocks_the_email(cloud: RunningCloud) -> None:
    email, headers = sign_up_seller(cloud)
    shop = httpx.post(
        f"{cloud.rest}/shops",
        headers=headers,
        json={"name": f"Gone {email[:12]}", "category": "home"},
    ).json()
    new_product(cloud, headers, "Last Lamp")
    assert httpx.delete(f"{cloud.rest}/shops/{shop['shop_id']}", headers=headers).status_code == 200
    backdate(
        cloud,
        {"pk": {"S": f"SHOP#{shop['shop_id']}"}, "sk": {"S": "SHOP"}},
        {
            "purge_after": "2000-01-01T00:00:00.000000+0000",
            "gsi1sk": f"2000-01-01T00:00:00.000000+00:00#{shop['shop_id']}",
        },
    )
    output = run_purge(cloud, "shop-purge")
    assert output["shops_purged"] >= 1
    assert httpx.get(f"{cloud.rest}/shops/{shop['shop_id']}").status_code == 404
    # The sign-up blocklist is identity's (an item in the identity table).
    identity_table = cloud.info()["resources"]["IdentityTable"]
    blocked = cloud.client("dynamodb").get_item(
        TableName=identity_table, Key={"pk": {"S": f"BLOCKED#{email}"}, "sk": {"S": "BLOCK"}}
    )
    assert blocked["Item"]["reason"]["S"] == "shop purged"
