"""Reviews end to end on moto: HTTP through Chalice's test client, the bus's queues pumped
into the real consumers, the shipped ONNX model loaded from the models bucket."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.reviews.sentiment import SentimentModel
from localcloud.deploy import Deployment
from tests.integration.reviews.conftest import MODEL_DIR, MODEL_VERSION, Reviews

TEXT = "Comfortable, light and true to size. I wear them every day."


def review_body(**changes: Any) -> dict[str, Any]:
    return {"rating": 5, "title": "Love them", "text": TEXT, **changes}


def test_a_shopper_who_never_bought_the_product_gets_403_with_the_reason(
    reviews_api: Reviews,
) -> None:
    _, shop_id, product_id = reviews_api.shop_with_product()
    shopper, token = reviews_api.person()
    reviews_api.buy(shopper, product_id, shop_id, status="PENDING")  # not paid: no right
    refused = reviews_api.call("POST", f"/products/{product_id}/reviews", review_body(), token)
    assert refused.status_code == 403
    error = refused.json_body["error"]
    assert (error["code"], error["details"]["reason"]) == ("NOT_A_BUYER", "NO_PURCHASE")
    assert reviews_api.call("POST", "/products/nope/reviews", review_body(), token).status_code == (
        404
    )
    short = reviews_api.call(
        "POST", f"/products/{product_id}/reviews", review_body(text="ok"), token
    )
    assert short.status_code == 422
    unsigned = reviews_api.call("POST", f"/products/{product_id}/reviews", review_body())
    assert unsigned.status_code == 401


@pytest.mark.usefixtures("sentiment_model")
def test_a_buyer_reviews_the_seller_replies_and_ratings_and_sentiment_follow(
    reviews_api: Reviews,
) -> None:
    # Given a seller's product and a shopper who paid for it
    seller, shop_id, product_id = reviews_api.shop_with_product()
    other_seller, other_shop, _ = reviews_api.shop_with_product("Other")
    shopper, token = reviews_api.person()
    reviews_api.buy(shopper, product_id, shop_id)
    # When the shopper reviews it
    created = reviews_api.call(
        "POST",
        f"/products/{product_id}/reviews",
        review_body(
            rating=2,
            title="Runs small",
            text="The sole came loose after a week and they run a size small. Disappointed.",
        ),
        token,
    )
    assert created.status_code == 201, created.body
    review = created.json_body
    assert (review["sentiment_status"], review["sentiment"], review["status"]) == (
        "PENDING",
        None,
        "PUBLISHED",
    )
    review_id = review["review_id"]
    # And a second review of the same product is refused (edit instead)
    again = reviews_api.call("POST", f"/products/{product_id}/reviews", review_body(), token)
    assert again.status_code == 409
    assert again.json_body["error"]["details"]["review_id"] == review_id
    # When the events are processed (sentiment and aggregates consumers)
    reviews_api.settle()
    # Then the sentiment has arrived on the review, with problem categories
    scored = reviews_api.call("GET", f"/reviews/{review_id}").json_body
    assert scored["sentiment_status"] == "SCORED"
    # (the shipped model's own reading of the title and text: v5 reads it as negative;
    # v4 read "runs small" as neutral 0.58, as many 3-star clothing reviews say it)
    expected = SentimentModel(MODEL_DIR).score(
        "Runs small. The sole came loose after a week and they run a size small. Disappointed."
    )
    assert scored["sentiment"]["label"] == expected.label
    assert scored["sentiment"]["probabilities"] == pytest.approx(expected.probabilities, abs=1e-5)
    assert scored["sentiment"]["model_version"] == MODEL_VERSION
    assert abs(sum(scored["sentiment"]["probabilities"].values()) - 1) < 1e-3
    assert {p["category"] for p in scored["problems"]} & {"defects", "size_fit", "quality"}
    # And the product's and shop's ratings changed, also in the catalog's views
    summary = reviews_api.call("GET", f"/products/{product_id}/reviews/summary").json_body
    assert (summary["count"], summary["average"], summary["distribution"]["2"]) == (1, 2.0, 1)
    shop = reviews_api.call("GET", f"/shops/{shop_id}").json_body
    assert (shop["rating_count"], shop["rating_average"]) == (1, 2.0)
    product = reviews_api.call("GET", f"/products/{product_id}").json_body
    assert (product["rating_count"], product["rating_average"]) == (1, 2.0)
    listed = reviews_api.call("GET", f"/products/{product_id}/reviews").json_body
    assert [r["review_id"] for r in listed["items"]] == [review_id]
    # And search sorts and filters by it once the catalog re-posted the product
    reviews_api.pump("CatalogIndexQueue", "catalog-indexer")
    found = reviews_api.call("GET", f"/products?shop_id={shop_id}&sort=rating&min_rating=2")
    assert found.status_code == 200, found.body
    [card] = found.json_body["items"]
    assert (card["product_id"], card["rating_average"], card["rating_count"]) == (
        product_id,
        2.0,
        1,
    )
    above = reviews_api.call("GET", f"/products?shop_id={shop_id}&min_rating=2.5").json_body
    assert above["items"] == []
    # When another shop's seller replies, Then 403; the shop's own seller replies
    not_theirs = reviews_api.call(
        "PUT", f"/reviews/{review_id}/reply", {"text": "Not our product"}, other_seller
    )
    assert not_theirs.status_code == 403
    replied = reviews_api.call(
        "PUT", f"/reviews/{review_id}/reply", {"text": "Sorry! A new pair is on its way."}, seller
    )
    assert replied.status_code == 200
    assert replied.json_body["reply"]["text"] == "Sorry! A new pair is on its way."
    # And the seller sees sentiment and problem categories in the shop's analytics
    analytics = reviews_api.call("GET", "/shop/reviews/analytics", token=seller).json_body
    assert analytics["reviews"] == 1
    assert analytics["negative_reviews"] == 1
    assert analytics["periods"][0]["sentiment"][expected.label] == 1
    assert analytics["categories"]
    assert analytics["categories"][0]["suggestion"]
    csv_export = reviews_api.call("GET", "/shop/reviews/analytics.csv", token=seller)
    assert csv_export.status_code == 200
    assert csv_export.headers["Content-Type"].startswith("text/csv")
    assert csv_export.body.decode().startswith("section,month,reviews")
    # But another shop's seller cannot read this shop's analytics
    denied = reviews_api.call(
        "GET", f"/shop/reviews/analytics?product_id={product_id}", token=other_seller
    )
    assert denied.status_code == 403
    assert (
        reviews_api.call("GET", "/shop/reviews/analytics", token=other_seller).json_body["reviews"]
        == 0
    )
    assert other_shop != shop_id


@pytest.mark.usefixtures("sentiment_model")
def test_an_admin_hides_a_review_and_the_ratings_drop_it_and_a_duplicate_event_counts_once(
    reviews_api: Reviews,
) -> None:
    _, shop_id, product_id = reviews_api.shop_with_product()
    _, admin = reviews_api.person("admin")
    ratings = []
    for rating in (5, 3):
        shopper, token = reviews_api.person()
        reviews_api.buy(shopper, product_id, shop_id, status="DELIVERED")
        made = reviews_api.call(
            "POST", f"/products/{product_id}/reviews", review_body(rating=rating), token
        )
        assert made.status_code == 201
        ratings.append(made.json_body["review_id"])
    # The created events, delivered twice each (a duplicate delivery)
    records = reviews_api.messages("ReviewAggregatesQueue")
    bodies = [m["Body"] for m in records]
    assert len(bodies) == 2
    for _ in range(2):
        result = reviews_api.invoke_with("review-aggregates", bodies)
        assert result.payload == {"batchItemFailures": []}, result.error
    summary = reviews_api.call("GET", f"/products/{product_id}/reviews/summary").json_body
    assert (summary["count"], summary["average"]) == (2, 4.0)
    # When an admin hides the 5-star review with a reason
    hidden = reviews_api.call(
        "POST", f"/admin/reviews/{ratings[0]}/hide", {"reason": "Promotional link"}, admin
    )
    assert hidden.status_code == 200
    assert (hidden.json_body["status"], hidden.json_body["hidden_reason"]) == (
        "HIDDEN",
        "Promotional link",
    )
    reviews_api.settle()
    # Then the aggregates and the shop's rating drop it
    summary = reviews_api.call("GET", f"/products/{product_id}/reviews/summary").json_body
    assert (summary["count"], summary["average"], summary["distribution"]["5"]) == (1, 3.0, 0)
    shop = reviews_api.call("GET", f"/shops/{shop_id}").json_body
    assert (shop["rating_count"], shop["rating_average"]) == (1, 3.0)
    assert reviews_api.call("GET", f"/reviews/{ratings[0]}").status_code == 404
    audit = reviews_api.call("GET", f"/admin/reviews/{ratings[0]}/audit", token=admin).json_body
    assert [(a["action"], a["reason"]) for a in audit["items"]] == [("hide", "Promotional link")]
    # And an old duplicate of its created event changes nothing
    assert reviews_api.invoke_with("review-aggregates", bodies[:1]).payload == {
        "batchItemFailures": []
    }
    summary = reviews_api.call("GET", f"/products/{product_id}/reviews/summary").json_body
    assert summary["count"] == 1


def test_a_model_failure_leaves_the_review_published_and_pending_then_it_is_scored(
    reviews_api: Reviews, aws_env: Deployment, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from chalicelib.core import model_store
    from chalicelib.core.settings import reset_settings
    from chalicelib.reviews.service import scoring

    # Given no model in the models bucket (a fresh container's cache)
    monkeypatch.setenv("BAZAAR_MODEL_CACHE_DIR", str(tmp_path))
    reset_settings()
    scoring.model.cache_clear()
    scoring.prototypes.cache_clear()
    _, shop_id, product_id = reviews_api.shop_with_product()
    shopper, token = reviews_api.person()
    reviews_api.buy(shopper, product_id, shop_id)
    made = reviews_api.call("POST", f"/products/{product_id}/reviews", review_body(), token)
    review_id = made.json_body["review_id"]
    # When the sentiment consumer runs: the record fails, retried until the DLQ takes it
    reviews_api.pump("ReviewSentimentQueue", "review-sentiment")
    dead = reviews_api.messages("ReviewSentimentDLQ")
    assert len(dead) == 1
    pending = reviews_api.call("GET", f"/reviews/{review_id}").json_body
    assert (pending["status"], pending["sentiment_status"]) == ("PUBLISHED", "PENDING")
    # When the model is published and the DLQ redriven to its queue
    model_store.publish_model(MODEL_DIR, "sentiment", MODEL_VERSION)
    url = aws_env.physical["ReviewSentimentQueue"]
    reviews_api.sqs.send_message(QueueUrl=url, MessageBody=dead[0]["Body"])
    reviews_api.pump("ReviewSentimentQueue", "review-sentiment")
    # Then the sentiment arrives
    scored = reviews_api.call("GET", f"/reviews/{review_id}").json_body
    assert scored["sentiment_status"] == "SCORED"
    assert scored["sentiment"]["label"] == "positive"
    assert json.loads(dead[0]["Body"])["detail"]["data"]["review_id"] == review_id


def test_a_shop_is_reviewed_with_a_verified_bill_post_and_its_rating_counts_it(
    reviews_api: Reviews,
) -> None:
    # Given a shop, and a shopper whose bill post for it still waits for a decision
    seller, shop_id, _ = reviews_api.shop_with_product()
    shopper, token = reviews_api.person()
    waiting = reviews_api.bill_post(shopper, shop_id, status="NEEDS_REVIEW")
    # When the shopper reviews the shop without a verified post, Then 403 with the reason
    for post_id, reason in ((None, "NO_VERIFIED_BILL"), (waiting, "BILL_NOT_VERIFIED")):
        body = review_body(rating=4) | ({"post_id": post_id} if post_id else {})
        refused = reviews_api.call("POST", f"/shops/{shop_id}/reviews", body, token)
        assert refused.status_code == 403, refused.body
        assert refused.json_body["error"]["details"]["reason"] == reason
    assert reviews_api.call("POST", "/shops/nope/reviews", review_body(), token).status_code == 404
    # When the post is verified and the shopper names it
    verified = reviews_api.bill_post(shopper, shop_id)
    made = reviews_api.call(
        "POST", f"/shops/{shop_id}/reviews", review_body(rating=4, post_id=verified), token
    )
    assert made.status_code == 201, made.body
    review = made.json_body
    assert (review["subject"], review["product_id"], review["post_id"]) == ("shop", None, verified)
    assert review["verified_by"] == "bill"
    # And a second review of the shop is refused
    again = reviews_api.call(
        "POST", f"/shops/{shop_id}/reviews", review_body(post_id=verified), token
    )
    assert again.status_code == 409
    # Then, once the events are counted, the shop's list and rating show it
    reviews_api.pump("ReviewAggregatesQueue", "review-aggregates")
    listed = reviews_api.call("GET", f"/shops/{shop_id}/reviews").json_body
    assert [r["review_id"] for r in listed["items"]] == [review["review_id"]]
    shop = reviews_api.call("GET", f"/shops/{shop_id}").json_body
    assert (shop["rating_count"], shop["rating_average"]) == (1, 4.0)
    # And the shop's seller replies to it
    replied = reviews_api.call(
        "PUT", f"/reviews/{review['review_id']}/reply", {"text": "Thanks for coming!"}, seller
    )
    assert replied.status_code == 200


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _photo(reviews_api: Reviews, token: str, data: bytes, content_type: str) -> str:
    """As the shopper's client: a grant for one photo, and the file put where it says."""
    import boto3

    grant = reviews_api.call(
        "POST", "/reviews/photos", {"content_type": content_type, "size": len(data)}, token
    )
    assert grant.status_code == 201, grant.body
    body = grant.json_body
    assert body["fields"]["Content-Type"] == content_type
    boto3.client("s3").put_object(
        Bucket=reviews_api.deployment.physical["MediaBucket"],
        Key=body["key"],
        Body=data,
        ContentType=content_type,
    )
    return str(body["image_id"])


def test_photos_are_checked_like_catalog_images_and_shown_on_the_review(
    reviews_api: Reviews,
) -> None:
    # Given a buyer with one real photo and one file that only claims to be a JPEG
    _, shop_id, product_id = reviews_api.shop_with_product()
    shopper, token = reviews_api.person()
    reviews_api.buy(shopper, product_id, shop_id)
    good = _photo(reviews_api, token, png_bytes(), "image/png")
    fake = _photo(reviews_api, token, b"not an image at all", "image/jpeg")
    # When the review names the fake one, Then 422 naming the photo and why
    refused = reviews_api.call(
        "POST", f"/products/{product_id}/reviews", review_body(photo_ids=[good, fake]), token
    )
    assert refused.status_code == 422, refused.body
    error = refused.json_body["error"]
    assert (error["code"], error["details"]["photo_id"]) == ("PHOTO_REJECTED", fake)
    assert "not an image" in error["details"]["reason"]
    # And a photo never uploaded is not found; a too-big one is refused before the upload
    missing = reviews_api.call(
        "POST", f"/products/{product_id}/reviews", review_body(photo_ids=["abc123"]), token
    )
    assert missing.status_code == 404
    too_big = reviews_api.call(
        "POST", "/reviews/photos", {"content_type": "image/png", "size": 10**9}, token
    )
    assert too_big.status_code == 422
    # When the review names the real one (its check already passed), Then it shows it
    made = reviews_api.call(
        "POST", f"/products/{product_id}/reviews", review_body(photo_ids=[good]), token
    )
    assert made.status_code == 201, made.body
    [photo] = made.json_body["photos"]
    assert (photo["photo_id"], photo["width"], photo["height"]) == (good, 64, 48)
    assert photo["url"].startswith("http")
    shown = reviews_api.call("GET", f"/reviews/{made.json_body['review_id']}").json_body
    assert [p["photo_id"] for p in shown["photos"]] == [good]
    # And an edit may remove it, which deletes its file from the media bucket
    assert _media_keys(reviews_api, good)
    edited = reviews_api.call(
        "PATCH", f"/reviews/{made.json_body['review_id']}", {"photo_ids": []}, token
    )
    assert edited.status_code == 200
    assert edited.json_body["photos"] == []
    assert _media_keys(reviews_api, good) == []
    # and the photo is gone for good: naming it again is "nothing uploaded"
    again = reviews_api.call(
        "PATCH", f"/reviews/{made.json_body['review_id']}", {"photo_ids": [good]}, token
    )
    assert again.status_code == 404
    # When the author deletes a review with a photo, Then its file goes too
    newer = _photo(reviews_api, token, png_bytes(), "image/png")
    with_photo = reviews_api.call(
        "PATCH", f"/reviews/{made.json_body['review_id']}", {"photo_ids": [newer]}, token
    )
    assert with_photo.status_code == 200, with_photo.body
    assert _media_keys(reviews_api, newer)
    deleted = reviews_api.call("DELETE", f"/reviews/{made.json_body['review_id']}", None, token)
    assert deleted.status_code == 204, deleted.body
    assert _media_keys(reviews_api, newer) == []


def _media_keys(reviews_api: Reviews, photo_id: str) -> list[str]:
    """The media bucket's objects of a review photo (its upload and its rendition)."""
    import boto3

    listed = boto3.client("s3").list_objects_v2(
        Bucket=reviews_api.deployment.physical["MediaBucket"]
    )
    return [o["Key"] for o in listed.get("Contents", []) if photo_id in o["Key"]]
