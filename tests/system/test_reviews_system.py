"""Reviews on the running local cloud: a real checkout pays for the product, the review's
sentiment arrives through the cloud's own queue pollers and the model it published to its
models bucket, the seller replies and reads the analytics."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.fixtures.accounts import sign_in
from tests.fixtures.cloud import RunningCloud, pointed_at, wait_for
from tests.system.test_checkout_system import SHIP_TO

pytestmark = pytest.mark.system
PASSWORD = "Reviews-System-Pass-2026"


def test_a_buyer_reviews_the_sentiment_arrives_and_the_seller_replies(cloud: RunningCloud) -> None:
    from chalicelib.dev import demo
    from chalicelib.identity.service import admin

    run = uuid.uuid4().hex[:6]
    with pointed_at(cloud), httpx.Client(base_url=cloud.rest, timeout=30) as http:
        # Given a seller's product and a shopper who buys it with a test card
        seller_email, shopper_email = f"rv.seller.{run}@r.example.com", f"rv.{run}@r.example.com"
        seller_id = admin.provision_account(seller_email, PASSWORD, role="seller").account_id
        admin.provision_account(shopper_email, PASSWORD, role="user")
        demo.ensure_categories()
        demo.ensure_shop(seller_id, f"Review Shop {run}", "home")
        seller, shopper = (
            sign_in(http, seller_email, PASSWORD),
            sign_in(http, shopper_email, PASSWORD),
        )
        made = http.post(
            "/products",
            headers=seller,
            json={
                "title": f"Lamp {run}",
                "category": "home",
                "subcategory": "lighting",
                "regular_price": 2500,
                "stock": 5,
            },
        )
        assert made.status_code == 201, made.text
        product_id = made.json()["product_id"]
        assert (
            http.post("/cart/items", headers=shopper, json={"product_id": product_id}).status_code
            == 200
        )
        started = http.post(
            "/checkout",
            headers={**shopper, "Idempotency-Key": f"review-{run}"},
            json={"payment_method": "4242 4242 4242 4242", "shipping_address": SHIP_TO},
        )
        assert started.status_code == 202, started.text
        checkout_id = started.json()["checkout_id"]
        wait_for(
            lambda: (
                http.get(f"/checkouts/{checkout_id}", headers=shopper).json()["status"] == "PAID"
                or None
            ),
            timeout=60,
            what="the checkout is paid",
        )
        # When the shopper reviews it
        review = http.post(
            f"/products/{product_id}/reviews",
            headers=shopper,
            json={
                "rating": 1,
                "title": "Broke in a week",
                "text": "It stopped working after a week and support never answered.",
            },
        )
        assert review.status_code == 201, review.text
        review_id = review.json()["review_id"]
        # Then its sentiment and problems arrive asynchronously, and the ratings move
        scored = wait_for(
            lambda: (
                (
                    (body := http.get(f"/reviews/{review_id}").json())["sentiment_status"]
                    == "SCORED"
                    and body
                )
                or None
            ),
            timeout=60,
            what="the review's sentiment",
        )
        assert scored["sentiment"]["label"] == "negative"
        assert {p["category"] for p in scored["problems"]} & {"defects", "service"}
        summary = wait_for(
            lambda: (
                ((s := http.get(f"/products/{product_id}/reviews/summary").json())["count"] and s)
                or None
            ),
            timeout=30,
            what="the product's rating",
        )
        assert (summary["count"], summary["average"]) == (1, 1.0)
        # And the seller replies and sees it in the shop's analytics
        replied = http.put(
            f"/reviews/{review_id}/reply",
            headers=seller,
            json={"text": "A replacement is on its way."},
        )
        assert replied.status_code == 200, replied.text
        report = http.get("/shop/reviews/analytics", headers=seller).json()
        assert report["negative_reviews"] == 1
        assert report["categories"]
