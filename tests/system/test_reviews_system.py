"""Reviews on the running local cloud: a real checkout pays for the product, the review's
sentiment arrives through the cloud's own queue pollers and the model it published to its
models bucket, the seller replies and reads the analytics."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import httpx
import pytest

from tests.fixtures.accounts import sign_in
from tests.fixtures.aws import ROOT
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


def _walk_through() -> str:
    """The ``sh`` block of docs/reviews.md's walk-through, as a reader copies it."""
    text = (ROOT / "docs" / "reviews.md").read_text(encoding="utf-8")
    section = text[text.index("## Walk-through with curl") :]
    start = section.index("```sh\n") + len("```sh\n")
    return section[start : section.index("```\n", start)]


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq")), reason="the walk-through needs curl and jq"
)
def test_the_docs_walk_through_runs_on_the_seeded_cloud(cloud: RunningCloud) -> None:
    # Given the seeded cloud (the demo shopper bought and received a product), and the
    # walk-through exactly as docs/reviews.md shows it, with this cloud's REST address
    script = _walk_through()
    assert "API=http://127.0.0.1:8000\n" in script
    script = script.replace("API=http://127.0.0.1:8000", f"API={cloud.rest}", 1)
    # When it runs
    done = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    out = done.stdout
    # Then every step answered what the guide says (no bounded wait ran out)
    assert done.returncode == 0, done.stderr
    assert "timed out" not in out, out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith(("{", "["))]
    assert lines[0]["status"] == "DELIVERED"
    assert lines[1] == {"code": "NOT_A_BUYER", "reason": "NO_PURCHASE"}
    assert "\n204\n" in f"\n{out}"
    assert lines[2]["photos"] == [{"width": 640, "height": 480}]
    assert lines[3]["sentiment"] == "negative"
    assert lines[3]["problems"]
    assert lines[4]["code"] == "ALREADY_REVIEWED"
    assert lines[5]["title"] == "New review: 2/5"
    assert lines[6]["count"] == 1
    assert lines[7] == {"rating_average": 2, "rating_count": 1}
    assert lines[8][0]["rating_count"] == 1
    assert lines[9]["title"] == "The shop replied to your review"
    assert lines[10]["negative_reviews"] == 1
    assert lines[10]["categories"]
    assert lines[-2]["status"] == "HIDDEN"
    assert lines[-1] == {"action": "hide", "reason": "Demo: hidden by the moderator"}
