"""Bill posts over the HTTP edge (Chalice's test client on moto)."""

from __future__ import annotations

from typing import Any

from chalicelib.bills.domain import PostStatus
from tests.fixtures.http import ApiClient
from tests.integration.bills.conftest import BillWorld
from tests.integration.catalog.conftest import PASSWORD


def signed_in(client: ApiClient, person: Any) -> str:
    return client.sign_in(person.email, PASSWORD)


def test_another_shopper_cannot_read_a_private_bill(world: BillWorld, api: Any) -> None:
    client = ApiClient(api)
    author, other = world.person(), world.person()
    author_token, other_token = signed_in(client, author), signed_in(client, other)
    # Given a shopper's post (its upload grant pins key, type and size)
    created = client.call(
        "POST", "/bills/posts", {"content_type": "image/jpeg", "rating": 4}, token=author_token
    )
    assert created.status_code == 201, created.body
    body = created.json_body
    assert body["post"]["status"] == "UPLOADING"
    assert body["upload"]["fields"]["key"] == body["upload"]["key"]
    post_id = body["post"]["post_id"]
    # When the author and another shopper ask for the bill
    mine = client.call("GET", f"/bills/posts/{post_id}/bill", token=author_token)
    theirs = client.call("GET", f"/bills/posts/{post_id}/bill", token=other_token)
    # Then only the author gets a (pre-signed, short-lived) URL
    assert mine.status_code == 200
    assert "Signature" in mine.json_body["url"] or "X-Amz-Signature" in mine.json_body["url"]
    assert theirs.status_code == 403
    assert theirs.json_body["error"]["code"] == "FORBIDDEN"
    # And the post itself is hidden from them until it is verified
    assert client.call("GET", f"/bills/posts/{post_id}", token=other_token).status_code == 404


def test_the_shop_decides_a_post_needing_review_and_another_shop_cannot(
    world: BillWorld, api: Any
) -> None:
    from dataclasses import replace

    from chalicelib.bills import repository

    client = ApiClient(api)
    shopper = world.person()
    seller, shop = world.seller_with_shop("Indah Gift & Home Deco")
    other_seller, _ = world.seller_with_shop("Another Shop")
    post = world.post(shopper, shop_id=shop.shop_id)
    stored = repository.get().post(post.post_id)
    assert stored is not None
    waiting = repository.get().transition(
        replace(stored, status=PostStatus.NEEDS_REVIEW, reason="not_duplicate"),
        expected=(PostStatus.UPLOADING,),
    )
    assert waiting is not None
    decision = {"decision": "VERIFIED", "note": "we remember this sale"}
    refused = client.call(
        "POST",
        f"/bills/posts/{post.post_id}/decision",
        decision,
        token=signed_in(client, other_seller),
    )
    assert refused.status_code == 403
    seller_token = signed_in(client, seller)
    queue = client.call("GET", "/bills/review", token=seller_token)
    assert [p["post_id"] for p in queue.json_body["items"]] == [post.post_id]
    decided = client.call(
        "POST", f"/bills/posts/{post.post_id}/decision", decision, token=seller_token
    )
    assert decided.status_code == 200, decided.body
    assert decided.json_body["status"] == "VERIFIED"
    assert decided.json_body["decided_by"] == seller.account_id
    again = client.call(
        "POST", f"/bills/posts/{post.post_id}/decision", decision, token=seller_token
    )
    assert again.status_code == 409
    trail = repository.get().audit_trail(post.post_id)
    assert [(e["by"], e["to"]) for e in trail] == [(seller.account_id, "VERIFIED")]
    # The verified post is in the feed, for everyone
    feed = client.call("GET", f"/bills/feed?shop_id={shop.shop_id}")
    assert [p["post_id"] for p in feed.json_body["items"]] == [post.post_id]
    liked = client.call(
        "POST", f"/bills/posts/{post.post_id}/like", token=signed_in(client, shopper)
    )
    assert liked.json_body["likes"] == 1


def test_bad_input_is_a_clear_4xx(world: BillWorld, api: Any) -> None:
    client = ApiClient(api)
    token = signed_in(client, world.person())
    wrong_type = client.call(
        "POST", "/bills/posts", {"content_type": "application/pdf"}, token=token
    )
    assert wrong_type.status_code == 422
    no_shop = client.call(
        "POST", "/bills/posts", {"content_type": "image/png", "shop_id": "nope"}, token=token
    )
    assert no_shop.status_code == 404
    assert client.call("GET", "/bills/feed?sort=best").status_code == 422
    assert client.call("GET", "/bills/posts/unknown", token=token).status_code == 404
