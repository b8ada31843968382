"""Checkout benchmark: checkout → PAID latency, 50 concurrent checkouts, saga transitions.

Method: a seller, a product with plenty of stock and 51 shoppers are provisioned in this
process against the cloud's tables (as ``bench.catalog`` does) and sign in through
``POST /auth/login`` (the bench cloud raises the per-IP login limit: see
``bench.__main__.Cloud``); everything measured goes through the REST API of the running
cloud, like a client. Latency is from the POST
/checkout request until GET /checkouts/{id} first reads PAID (polled every 10 ms), with
the simulated provider's success card. The concurrent run starts 50 checkouts at once
(one thread each) and polls them all with one poller until every one is PAID.
"""

from __future__ import annotations

import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench import catalog

CARD = "4242424242424242"


PASSWORD = "Bench-Buyer-Pass-2026"  # noqa: S105 - a bench account on the local cloud


def _sign_in(http: httpx.Client, email: str) -> dict[str, str]:
    """The Authorization header of a fresh session, from the real ``POST /auth/login``."""
    response = http.post("/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def person(http: httpx.Client, email: str, role: str) -> tuple[str, dict[str, str]]:
    from chalicelib.identity.service import admin

    account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
    return account.account_id, _sign_in(http, email)


def _wait_paid(http: httpx.Client, headers: dict[str, str], checkout_id: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = str(http.get(f"/checkouts/{checkout_id}", headers=headers).json()["status"])
        if status != "PENDING":
            return status
        time.sleep(0.01)
    raise TimeoutError(checkout_id)


SHIP_TO = {
    "name": "Bench",
    "line1": "1 Main St",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}


def _checkout(http: httpx.Client, headers: dict[str, str], product_id: str) -> str:
    added = http.post("/cart/items", headers=headers, json={"product_id": product_id})
    added.raise_for_status()
    response = http.post(
        "/checkout",
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        json={"payment_method": CARD, "shipping_address": SHIP_TO},
    )
    if response.status_code != 202:
        raise RuntimeError(f"checkout refused: {response.status_code} {response.text}")
    return str(response.json()["checkout_id"])


def bench_checkout(cloud: Any, sequential: int = 30, concurrent: int = 50) -> dict[str, Any]:
    catalog.point_at(cloud)
    from chalicelib.dev import demo

    run = uuid.uuid4().hex[:6]
    demo.ensure_categories()  # the catalog bench usually ran first; do not rely on it
    with httpx.Client(base_url=cloud.rest, timeout=60) as http:
        seller_email = f"bench.co.seller.{run}@bazaar.example.com"
        seller_id, _ = person(http, seller_email, "seller")
        demo.ensure_shop(seller_id, f"Bench Checkout {run}", "home")
        seller = _sign_in(http, seller_email)  # a fresh token carries the new shop id
        shoppers = [
            person(http, f"bench.co.{run}.{n}@bazaar.example.com", "user")[1]
            for n in range(concurrent + 1)
        ]
        created = http.post(
            "/products",
            headers=seller,
            json={
                "title": f"Bench lamp {run}",
                "category": "home",
                "subcategory": "lighting",
                "regular_price": 1999,
                "stock": 100_000,
            },
        )
        created.raise_for_status()
        product_id = str(created.json()["product_id"])
        latencies = []
        last = ""
        for _ in range(sequential):
            started = time.perf_counter()
            last = _checkout(http, shoppers[0], product_id)
            assert _wait_paid(http, shoppers[0], last) == "PAID"
            latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrent) as pool:
            ids = list(pool.map(lambda h: _checkout(http, h, product_id), shoppers[1:]))
        statuses = [_wait_paid(http, h, c) for h, c in zip(shoppers[1:], ids, strict=True)]
        concurrent_s = time.perf_counter() - started
    states = cloud_client(cloud, "stepfunctions")
    machine = next(arn for arn in cloud.info()["state_machines"].values() if "checkout" in arn)
    execution = machine.replace(":stateMachine:", ":execution:") + f":checkout-{last}"
    history = states.get_execution_history(executionArn=execution)["events"]
    entered = [e for e in history if e["type"].endswith("StateEntered")]
    ordered = sorted(latencies)
    return {
        "checkout_to_paid_ms": {
            "n": len(latencies),
            "median": round(statistics.median(latencies), 1),
            "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
        },
        "concurrent_checkouts": concurrent,
        "concurrent_all_paid_s": round(concurrent_s, 2),
        "concurrent_paid": statuses.count("PAID"),
        "states_per_saga": len(entered),
        "history_events_per_saga": len(history),
    }


def cloud_client(cloud: Any, service: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=cloud.aws,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto accepts any key
    )
