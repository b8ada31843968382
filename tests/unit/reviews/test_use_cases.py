"""Reviews' use cases on fakes: who may review, one review each, edits, replies, votes,
moderation and the aggregates (no AWS; the model is not involved here)."""

from __future__ import annotations

import pytest

from chalicelib.bills.domain import PostStatus
from chalicelib.catalog.domain import Product, Shop
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ConflictError, ForbiddenError, NotFoundError
from chalicelib.orders.domain import OrderStatus
from chalicelib.reviews.domain import Photo, ReviewStatus, SubjectKind, VoteKind
from chalicelib.reviews.errors import AlreadyReviewedError, NotABuyerError
from chalicelib.reviews.service import aggregates, analytics, reviews
from tests.fakes.bills import InMemoryBillRepository
from tests.fakes.catalog import Bus, InMemoryCatalogRepository, make_product
from tests.fakes.orders import InMemoryOrdersRepository
from tests.fakes.reviews import InMemoryReviewsRepository
from tests.unit.reviews.conftest import bill_post, bought

pytestmark = pytest.mark.usefixtures("bus", "reviews_repo")

ANN = Caller("ann", Role.USER)
BOB = Caller("bob", Role.USER)
SELLER = Caller("seller-1", Role.SELLER, shop_id="shop-1")
OTHER_SELLER = Caller("seller-2", Role.SELLER, shop_id="shop-2")
ADMIN = Caller("admin", Role.ADMIN)
TEXT = "Comfortable shoes, they fit well and look great."


def test_a_shopper_who_never_bought_the_product_cannot_review_it(
    shop_and_product: tuple[Shop, Product], orders_repo: InMemoryOrdersRepository
) -> None:
    # Given Ann bought nothing, and Bob's only order of it is still PENDING
    _, product = shop_and_product
    bought(orders_repo, "bob", product.product_id, OrderStatus.PENDING)
    # When either reviews, Then both are refused with the reason
    for caller in (ANN, BOB):
        with pytest.raises(NotABuyerError) as refused:
            reviews.write(caller, product.product_id, rating=5, title="Great", text=TEXT)
        assert refused.value.details["reason"] == "NO_PURCHASE"
    # And a seller is no reviewer either
    with pytest.raises(NotABuyerError):
        reviews.write(SELLER, product.product_id, rating=5, title="Great", text=TEXT)


@pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED])
def test_a_buyer_reviews_once_and_a_second_review_is_refused(
    status: OrderStatus,
    shop_and_product: tuple[Shop, Product],
    orders_repo: InMemoryOrdersRepository,
    bus: Bus,
) -> None:
    _, product = shop_and_product
    order_id = bought(orders_repo, "ann", product.product_id, status)
    review = reviews.write(ANN, product.product_id, rating=4, title="Nice", text=TEXT)
    assert (review.order_id, review.shop_id, review.seller_id) == (order_id, "shop-1", "seller-1")
    assert review.sentiment_pending
    assert bus.names() == ["review.created"]
    with pytest.raises(AlreadyReviewedError) as again:
        reviews.write(ANN, product.product_id, rating=1, title="Again", text=TEXT)
    assert again.value.details["review_id"] == review.review_id


def test_an_edit_keeps_the_former_version_and_only_the_author_edits(
    shop_and_product: tuple[Shop, Product], orders_repo: InMemoryOrdersRepository, bus: Bus
) -> None:
    _, product = shop_and_product
    bought(orders_repo, "ann", product.product_id)
    review = reviews.write(ANN, product.product_id, rating=4, title="Nice", text=TEXT)
    edited = reviews.edit(ANN, review.review_id, rating=2, title=None, text="It broke in a week.")
    assert (edited.rating, edited.title, edited.revision) == (2, "Nice", 2)
    assert [(e.revision, e.rating, e.text) for e in edited.edits] == [(1, 4, TEXT)]
    assert edited.sentiment_pending
    with pytest.raises(NotFoundError):
        reviews.edit(BOB, review.review_id, rating=5, title=None, text=None)
    assert bus.names() == ["review.created", "review.updated"]


def test_the_shop_replies_once_editably_and_another_shop_cannot(
    shop_and_product: tuple[Shop, Product], orders_repo: InMemoryOrdersRepository, bus: Bus
) -> None:
    _, product = shop_and_product
    bought(orders_repo, "ann", product.product_id)
    review = reviews.write(ANN, product.product_id, rating=2, title="Meh", text=TEXT)
    with pytest.raises(ForbiddenError):
        reviews.reply(OTHER_SELLER, review.review_id, "Not ours to answer")
    first = reviews.reply(SELLER, review.review_id, "Sorry, we will send a new pair.")
    second = reviews.reply(SELLER, review.review_id, "Sorry, a new pair is on its way.")
    assert first.reply is not None
    assert second.reply is not None
    assert second.reply.text == "Sorry, a new pair is on its way."
    assert second.reply.created_at == first.reply.created_at
    replied = [e for e in bus.events if e.name == "review.replied"]
    assert len(replied) == 2
    assert replied[0].model_dump()["author_id"] == "ann"


def test_helpful_and_report_count_once_and_a_report_queues_the_review(
    shop_and_product: tuple[Shop, Product], orders_repo: InMemoryOrdersRepository
) -> None:
    _, product = shop_and_product
    bought(orders_repo, "ann", product.product_id)
    review = reviews.write(ANN, product.product_id, rating=5, title="Great", text=TEXT)
    reviews.vote(BOB, review.review_id, VoteKind.HELPFUL)
    with pytest.raises(ConflictError):
        reviews.vote(BOB, review.review_id, VoteKind.HELPFUL)
    with pytest.raises(ConflictError):
        reviews.vote(ANN, review.review_id, VoteKind.HELPFUL)  # not on your own
    reviews.vote(BOB, review.review_id, VoteKind.REPORT, "spam")
    with pytest.raises(ConflictError):
        reviews.vote(BOB, review.review_id, VoteKind.REPORT, "spam")
    queued = reviews.moderation_queue(limit=10, cursor=None).items
    assert [(r.review_id, r.helpful_count, r.report_count) for r in queued] == [
        (review.review_id, 1, 1)
    ]


def test_aggregates_count_each_review_once_and_drop_hidden_and_deleted_ones(
    shop_and_product: tuple[Shop, Product],
    orders_repo: InMemoryOrdersRepository,
    catalog_repo: InMemoryCatalogRepository,
) -> None:
    shop, product = shop_and_product
    bought(orders_repo, "ann", product.product_id)
    bought(orders_repo, "bob", product.product_id)
    ann = reviews.write(ANN, product.product_id, rating=5, title="Great", text=TEXT)
    bob = reviews.write(BOB, product.product_id, rating=2, title="Meh", text=TEXT)
    # When each review's event is handled (Ann's twice: a duplicate delivery)
    for review_id in (ann.review_id, ann.review_id, bob.review_id, ann.review_id):
        aggregates.reconcile(review_id)
    # Then each counts once, and the catalog shows the shop's and product's ratings
    summary = reviews.summary(SubjectKind.PRODUCT, product.product_id)
    assert (summary.count, summary.total, summary.distribution[5], summary.distribution[2]) == (
        2,
        7,
        1,
        1,
    )
    assert catalog_repo.shop_items[shop.shop_id].rating_count == 2
    assert catalog_repo.product_items[product.product_id].rating_sum == 7
    # When Bob edits to 4, an admin hides Ann's, and the events are handled
    reviews.edit(BOB, bob.review_id, rating=4, title=None, text=None)
    hidden = reviews.moderate(ADMIN, ann.review_id, hide=True, reason="Off-topic photo spam")
    assert hidden.status is ReviewStatus.HIDDEN
    for review_id in (bob.review_id, ann.review_id, ann.review_id):
        aggregates.reconcile(review_id)
    shop_summary = reviews.summary(SubjectKind.SHOP, shop.shop_id)
    assert (shop_summary.count, shop_summary.total, shop_summary.average) == (1, 4, 4.0)
    assert catalog_repo.shop_items[shop.shop_id].rating_sum == 4
    assert [e.action for e in reviews.audit(ann.review_id)] == ["hide"]
    # When Ann's is restored and Bob deletes his, Then only Ann's counts
    reviews.moderate(ADMIN, ann.review_id, hide=False, reason="Appeal accepted")
    reviews.delete(BOB, bob.review_id)
    aggregates.reconcile(ann.review_id)
    aggregates.reconcile(bob.review_id)
    summary = reviews.summary(SubjectKind.PRODUCT, product.product_id)
    assert (summary.count, summary.total) == (1, 5)
    # And Bob may write a new review after deleting his
    reviews.write(BOB, product.product_id, rating=3, title="Second try", text=TEXT)


def test_a_seller_reads_only_their_own_shops_analytics(
    shop_and_product: tuple[Shop, Product],
) -> None:
    _, product = shop_and_product
    assert analytics.scope_for(SELLER, shop_id=None, product_id=product.product_id).shop_id == (
        "shop-1"
    )
    with pytest.raises(ForbiddenError):
        analytics.scope_for(OTHER_SELLER, shop_id=None, product_id=product.product_id)
    with pytest.raises(ForbiddenError):
        analytics.scope_for(OTHER_SELLER, shop_id="shop-1", product_id=None)
    assert analytics.scope_for(ADMIN, shop_id=None, product_id=None).shop_id is None


def test_hiding_a_missing_review_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        reviews.moderate(ADMIN, "nope", hide=True, reason="spam spam")


def test_a_shop_is_reviewed_only_with_ones_own_verified_bill_post_for_it(
    shop_and_product: tuple[Shop, Product], bills_repo: InMemoryBillRepository, bus: Bus
) -> None:
    # Given Ann's bill posts: one verified for shop-1, one still in review, one for shop-2;
    # and Bob's verified one for shop-1
    shop, _ = shop_and_product
    verified = bill_post(bills_repo, "ann")
    waiting = bill_post(bills_repo, "ann", status=PostStatus.NEEDS_REVIEW)
    elsewhere = bill_post(bills_repo, "ann", shop_id="shop-2")
    bobs = bill_post(bills_repo, "bob")
    # When Ann reviews the shop without a verified post of hers for it, Then 403 and why
    for post_id, reason in (
        (None, "NO_VERIFIED_BILL"),
        ("post-nope", "NO_VERIFIED_BILL"),
        (waiting, "BILL_NOT_VERIFIED"),
        (elsewhere, "BILL_OF_ANOTHER_SHOP"),
        (bobs, "NOT_YOUR_BILL"),
    ):
        with pytest.raises(NotABuyerError) as refused:
            reviews.write_shop_review(
                ANN, shop.shop_id, post_id=post_id, rating=4, title="Nice", text=TEXT
            )
        assert refused.value.details["reason"] == reason, post_id
    # And a seller is no reviewer of shops either
    with pytest.raises(NotABuyerError):
        reviews.write_shop_review(
            OTHER_SELLER, shop.shop_id, post_id=verified, rating=1, title="Bad", text=TEXT
        )
    # When she names her verified post, Then the shop's review is published
    review = reviews.write_shop_review(
        ANN, shop.shop_id, post_id=verified, rating=4, title="Nice", text=TEXT
    )
    assert (review.product_id, review.post_id, review.seller_id) == (None, verified, "seller-1")
    assert bus.names() == ["review.created"]
    # And once only (per shopper and shop)
    with pytest.raises(AlreadyReviewedError):
        reviews.write_shop_review(
            ANN, shop.shop_id, post_id=verified, rating=1, title="Again", text=TEXT
        )
    # And the shop's reviews list it, its rating counts it, and no product's does
    listed = reviews.reviews_of_shop(shop.shop_id, limit=10, cursor=None).items
    assert [r.review_id for r in listed] == [review.review_id]
    product, counted = aggregates.reconcile(review.review_id) or (None, None)
    assert product is None
    assert counted is not None
    assert (counted.count, counted.total) == (1, 4)
    # And the seller may reply to it
    assert reviews.reply(SELLER, review.review_id, "Thank you!").reply is not None


def _checked(repo: InMemoryReviewsRepository, author: str, *photo_ids: str) -> list[str]:
    """Photos of ``author`` that passed the image checks (as an accepted upload leaves them)."""
    for photo_id in photo_ids:
        repo.save_photo(author, Photo(photo_id, f"media/reviews/{author}/{photo_id}.webp", 8, 6))
    return list(photo_ids)


def test_a_photo_taken_off_a_review_has_its_files_deleted_unless_another_review_shows_it(
    shop_and_product: tuple[Shop, Product],
    catalog_repo: InMemoryCatalogRepository,
    orders_repo: InMemoryOrdersRepository,
    reviews_repo: InMemoryReviewsRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    discarded: list[str] = []
    monkeypatch.setattr(reviews.images, "discard", discarded.extend)
    # Given Ann reviewed two products she bought, with photos a, b on the first and b on
    # the second (one checked photo may be attached to several of her reviews)
    shop, product = shop_and_product
    second = make_product("p-2", shop)
    catalog_repo.product_items[second.product_id] = second
    for pid in (product.product_id, second.product_id):
        bought(orders_repo, "ann", pid)
    a, b = _checked(reviews_repo, "ann", "a", "b")
    first = reviews.write(
        ANN, product.product_id, rating=4, title="Hi", text=TEXT, photo_ids=[a, b]
    )
    other = reviews.write(ANN, second.product_id, rating=5, title="Yo", text=TEXT, photo_ids=[b])
    # When she takes both photos off the first review
    reviews.edit(ANN, first.review_id, rating=None, title=None, text=None, photo_ids=[])
    # Then a's rendition and any upload left of it are deleted, and a is forgotten;
    # b stays, as the second review still shows it
    assert discarded == ["media/reviews/ann/a.webp", "uploads/reviews/ann/a"]
    assert reviews_repo.photo("ann", a) is None
    assert reviews_repo.photo("ann", b) is not None
    # When she deletes the second review, the last one showing b
    reviews.delete(ANN, other.review_id)
    # Then b's files go too, and the deleted review shows no photo
    assert discarded[2:] == ["media/reviews/ann/b.webp", "uploads/reviews/ann/b"]
    assert reviews_repo.photo("ann", b) is None
    assert reviews_repo.get(other.review_id).photos == ()  # type: ignore[union-attr]
    # And an edit that keeps its photos, or one of a review without any, deletes nothing
    reviews.edit(ANN, first.review_id, rating=3, title=None, text=None)
    assert len(discarded) == 4
    # And releasing a photo again is harmless (idempotent: nothing left to delete)
    assert reviews.release_photos("ann", [Photo(a, "media/reviews/ann/a.webp", 8, 6)]) == [a]


def test_a_failing_media_bucket_does_not_undo_the_edit(
    shop_and_product: tuple[Shop, Product],
    orders_repo: InMemoryOrdersRepository,
    reviews_repo: InMemoryReviewsRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(keys: list[str]) -> None:
        raise OSError("S3 is down")

    monkeypatch.setattr(reviews.images, "discard", broken)
    _, product = shop_and_product
    bought(orders_repo, "ann", product.product_id)
    [a] = _checked(reviews_repo, "ann", "a")
    made = reviews.write(ANN, product.product_id, rating=4, title="Hi", text=TEXT, photo_ids=[a])
    edited = reviews.edit(ANN, made.review_id, rating=None, title=None, text=None, photo_ids=[])
    assert edited.photos == ()
    assert reviews_repo.get(made.review_id).photos == ()  # type: ignore[union-attr]
