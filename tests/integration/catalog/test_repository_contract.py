"""The catalog repository's contract: the DynamoDB one and the in-memory fake agree.

Every test runs twice, on ``InMemoryCatalogRepository`` (tests/fakes/catalog.py) and on
``DynamoCatalogRepository`` against moto, so use-case tests on the fake hold on DynamoDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.catalog.domain import (
    ImageStatus,
    Offer,
    ProductImage,
    ProductOffer,
    ProductStatus,
    SearchQuery,
    ShopStatus,
    SiteConfig,
    UploadTicket,
)
from chalicelib.catalog.repository import ClaimTaken, NotStored, WriteRefused
from chalicelib.core import clock
from chalicelib.core.dynamo import TransactionCancelledError
from chalicelib.core.errors import BadRequestError
from tests.fakes.catalog import InMemoryCatalogRepository, make_code, make_product, make_shop


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemoryCatalogRepository()
        return
    request.getfixturevalue("aws_env")
    from chalicelib.catalog.repository.dynamodb import DynamoCatalogRepository

    yield DynamoCatalogRepository()


def test_products_are_stored_once_per_slug_and_change_only_at_the_version_read(repo: Any) -> None:
    # Given a shop's product
    shop = make_shop()
    boots = repo.add_product(make_product("p-1", shop, slug="boots"))
    assert boots.version == 1
    assert repo.product("p-1") == boots
    assert repo.product("nope") is None
    assert set(repo.products(["p-1", "nope"])) == {"p-1"}
    # When another product claims the same slug in the same shop, it is refused
    with pytest.raises(ClaimTaken):
        repo.add_product(make_product("p-2", shop, slug="boots"))
    assert repo.product("p-2") is None
    # When the product is saved at the version read, its version moves and its slug too
    saved = repo.save_product(replace(boots, title="Boots 2", slug="boots-2"), old_slug="boots")
    assert (saved.version, saved.title, saved.slug) == (2, "Boots 2", "boots-2")
    assert repo.product("p-1") == saved
    # Then a stale copy is refused, and so is a slug another product holds
    with pytest.raises(WriteRefused):
        repo.save_product(replace(boots, title="Stale"), old_slug="boots")
    repo.add_product(make_product("p-3", shop, slug="boots"))  # the old slug is free again
    with pytest.raises(WriteRefused):
        repo.save_product(replace(saved, slug="boots"), old_slug="boots-2")
    assert repo.product("p-1") == saved


def test_soft_delete_restore_and_the_purge_list(repo: Any) -> None:
    shop = make_shop()
    now = clock.now()
    first = repo.add_product(make_product("p-1", shop, created_at=now - timedelta(minutes=2)))
    second = repo.add_product(make_product("p-2", shop, created_at=now - timedelta(minutes=1)))
    # When both are deleted with different purge times
    gone = repo.set_product_deleted(first, deleted_at=now, purge_after=now + timedelta(hours=1))
    later = repo.set_product_deleted(second, deleted_at=now, purge_after=now + timedelta(hours=3))
    assert (gone.status, gone.version, gone.purge_after) == (
        ProductStatus.DELETED,
        2,
        now + timedelta(hours=1),
    )
    with pytest.raises(WriteRefused):
        repo.set_product_deleted(first, deleted_at=now, purge_after=now)  # stale version
    # Then the purge list holds those whose window closed, oldest first
    assert repo.expired_products(now + timedelta(hours=2), limit=10) == ["p-1"]
    assert repo.expired_products(now + timedelta(hours=4), limit=10) == ["p-1", "p-2"]
    assert repo.expired_products(now + timedelta(hours=4), limit=1) == ["p-1"]
    # And a restore takes it off the list
    back = repo.set_product_restored(later)
    assert (back.status, back.purge_after, back.version) == (ProductStatus.ACTIVE, None, 3)
    assert repo.expired_products(now + timedelta(hours=4), limit=10) == ["p-1"]
    # A shop's products: newest first, deleted ones only when asked
    listed = repo.shop_products(shop.shop_id, limit=10, cursor=None, include_deleted=False)
    assert [p.product_id for p in listed.items] == ["p-2"]
    every = repo.shop_products(shop.shop_id, limit=10, cursor=None, include_deleted=True)
    assert [p.product_id for p in every.items] == ["p-2", "p-1"]
    assert sorted(repo.shop_product_ids(shop.shop_id)) == ["p-1", "p-2"]
    page = repo.shop_products(shop.shop_id, limit=1, cursor=None, include_deleted=True)
    rest = repo.shop_products(shop.shop_id, limit=1, cursor=page.next_cursor, include_deleted=True)
    assert [p.product_id for p in page.items + rest.items] == ["p-2", "p-1"]


def test_platform_changes_move_the_version_without_checking_it(repo: Any) -> None:
    product = repo.add_product(make_product("p-1"))
    image = ProductImage(image_id="i-1", width=10, height=8, thumbnail_key="t", full_key="f")
    with_image = repo.set_product_images(product, [image])
    assert (with_image.images, with_image.version) == ((image,), 2)
    now = clock.now().replace(microsecond=0)
    offer = ProductOffer("o-1", "Flash", 20, now, now + timedelta(hours=1))
    on_offer = repo.set_product_offer(product, offer)  # a stale copy is fine here
    assert (on_offer.offer, on_offer.images, on_offer.version) == (offer, (image,), 3)
    assert repo.set_product_offer(on_offer, None).offer is None
    # Popularity does not move the version at all
    liked = repo.add_popularity("p-1", 2)
    assert liked is not None
    assert (liked.popularity, liked.version) == (2, 4)
    assert repo.add_popularity("nope", 1) is None
    with pytest.raises(NotStored):
        repo.set_product_images(make_product("nope"), [])


def test_a_purge_removes_a_deleted_product_and_frees_its_slug(repo: Any) -> None:
    shop = make_shop()
    now = clock.now()
    kept = repo.add_product(make_product("p-1", shop, slug="kept"))
    doomed = repo.add_product(make_product("p-2", shop, slug="doomed"))
    repo.add_ticket(
        UploadTicket("i-1", "p-2", shop.shop_id, "k", "image/png", ImageStatus.PENDING, now)
    )
    doomed = repo.set_product_deleted(doomed, deleted_at=now, purge_after=now)
    # Only a product still deleted goes when the purge asks for deleted ones
    assert repo.purge_product(kept, only_if_deleted=True) is False
    assert repo.product("p-1") is not None
    assert repo.purge_product(doomed, only_if_deleted=True) is True
    assert repo.product("p-2") is None
    assert repo.ticket("p-2", "i-1") is None
    repo.add_product(make_product("p-3", shop, slug="doomed"))  # the slug is free again


def test_bulk_loads_store_products_and_their_slugs(repo: Any) -> None:
    shop = make_shop()
    made = [make_product(f"p-{n}", shop, version=1) for n in range(3)]
    assert repo.load_products(made) == 3
    assert set(repo.products([p.product_id for p in made])) == {"p-0", "p-1", "p-2"}
    with pytest.raises(ClaimTaken):
        repo.add_product(make_product("p-9", shop, slug=made[0].slug))


def test_one_shop_per_seller_and_one_per_slug(repo: Any) -> None:
    shop = repo.add_shop(make_shop("s-1", "seller-1", slug="corner"))
    assert shop.version == 1
    assert repo.shop_of_seller("seller-1") == shop
    assert repo.shop_of_seller("seller-2") is None
    with pytest.raises(ClaimTaken):
        repo.add_shop(make_shop("s-2", "seller-1", slug="other"))  # the seller has one
    with pytest.raises(ClaimTaken):
        repo.add_shop(make_shop("s-3", "seller-3", slug="corner"))  # the slug is taken
    assert repo.shop("s-2") is None
    assert repo.shop("s-3") is None
    # A slug change moves the claim; a stale copy or a taken slug is refused
    moved = repo.save_shop(replace(shop, slug="corner-2"), old_slug="corner")
    assert (moved.slug, moved.version) == ("corner-2", 2)
    with pytest.raises(WriteRefused):
        repo.save_shop(replace(shop, name="Stale"), old_slug="corner")
    other = repo.add_shop(make_shop("s-4", "seller-4", slug="corner"))
    with pytest.raises(WriteRefused):
        repo.save_shop(replace(other, slug="corner-2"), old_slug="corner")
    assert set(repo.shops(["s-1", "s-4", "nope"])) == {"s-1", "s-4"}


def test_shops_are_listed_deleted_restored_banned_and_purged(repo: Any) -> None:
    now = clock.now()
    old = repo.add_shop(make_shop("s-1", "seller-1", created_at=now - timedelta(days=2)))
    new = repo.add_shop(make_shop("s-2", "seller-2", created_at=now - timedelta(days=1)))
    assert [s.shop_id for s in repo.listed_shops(limit=10, cursor=None).items] == ["s-2", "s-1"]
    # When the old one is deleted it leaves the list and joins the purge list
    gone = repo.set_shop_deleted(old, deleted_at=now, purge_after=now + timedelta(days=28))
    assert (gone.status, gone.version) == (ShopStatus.DELETED, 2)
    with pytest.raises(WriteRefused):
        repo.set_shop_restored(old)  # a stale copy
    assert [s.shop_id for s in repo.listed_shops(limit=10, cursor=None).items] == ["s-2"]
    assert repo.expired_shops(now + timedelta(days=27), limit=5) == []
    assert repo.expired_shops(now + timedelta(days=29), limit=5) == ["s-1"]
    back = repo.set_shop_restored(gone)
    assert (back.status, back.version) == (ShopStatus.ACTIVE, 3)
    assert [s.shop_id for s in repo.listed_shops(limit=1, cursor=None).items] == ["s-2"]
    # A ban is mirrored whatever the version read
    banned = repo.set_seller_banned(new, True)
    assert (banned.seller_banned, banned.visible, banned.version) == (True, False, 2)
    # A purge removes the shop, its belongings and its claims
    repo.add_offer(Offer("o-1", "s-1", "Sale", 10, now, now, ("p-1",), now))
    repo.add_code(make_code("GONE", "s-1"))
    repo.follow(back, "fan", now=now)
    repo.delete_shop_belongings("s-1")
    repo.delete_shop(back)
    assert repo.shop("s-1") is None
    assert repo.offers("s-1") == []
    assert repo.code("GONE") is None
    assert repo.followed_shop_ids("fan", limit=10, cursor=None).items == []
    repo.add_shop(make_shop("s-5", "seller-1", slug=old.slug))  # both claims are free


def test_follows_count_once(repo: Any) -> None:
    now = clock.now()
    one = repo.add_shop(make_shop("s-1", "seller-1"))
    two = repo.add_shop(make_shop("s-2", "seller-2"))
    assert repo.follow(one, "fan", now=now) is True
    assert repo.follow(one, "fan", now=now) is False
    assert repo.follow(two, "fan", now=now + timedelta(seconds=1)) is True
    followed = repo.shop("s-1")
    assert (followed.follower_count, followed.version) == (1, 2)
    assert repo.followed_shop_ids("fan", limit=10, cursor=None).items == ["s-2", "s-1"]
    assert repo.unfollow(one, "fan") is True
    assert repo.unfollow(one, "fan") is False
    assert repo.shop("s-1").follower_count == 0
    assert repo.follow(make_shop("ghost"), "fan", now=now) is False


def test_upload_tickets_are_claimed_once_until_the_lease_ends(repo: Any) -> None:
    now = clock.now()
    ticket = UploadTicket("i-1", "p-1", "s-1", "uploads/x", "image/png", ImageStatus.PENDING, now)
    repo.add_ticket(ticket)
    assert repo.ticket("p-1", "i-1") == ticket
    assert repo.claim_ticket(ticket, now=now, lease=timedelta(minutes=5)) is True
    assert repo.claim_ticket(ticket, now=now, lease=timedelta(minutes=5)) is False
    later = now + timedelta(minutes=6)
    assert repo.claim_ticket(ticket, now=later, lease=timedelta(minutes=5)) is True
    repo.finish_ticket(ticket, ImageStatus.REJECTED, "x" * 600, now=later)
    done = repo.ticket("p-1", "i-1")
    assert (done.status, len(done.reason), done.processed_at) == (ImageStatus.REJECTED, 500, later)
    assert repo.claim_ticket(ticket, now=later, lease=timedelta(0)) is False
    assert repo.ticket("p-1", "nope") is None


def test_asset_tickets_are_apart_from_product_tickets(repo: Any) -> None:
    now = clock.now()
    asset = UploadTicket(
        "a-1",
        "",
        "",
        "uploads/assets/a-1",
        "image/png",
        ImageStatus.PENDING,
        now,
        purpose="shop_logo",
        owner_id="seller-1",
    )
    repo.add_ticket(asset)
    assert repo.asset_ticket("a-1") == asset
    assert repo.ticket("", "a-1") is None
    assert repo.asset_ticket("nope") is None
    assert repo.claim_ticket(asset, now=now, lease=timedelta(minutes=5)) is True
    repo.finish_ticket(
        asset, ImageStatus.READY, None, now=now, media_key="media/assets/a-1/shop_logo.webp"
    )
    done = repo.asset_ticket("a-1")
    assert (done.status, done.media_key, done.owner_id, done.purpose) == (
        ImageStatus.READY,
        "media/assets/a-1/shop_logo.webp",
        "seller-1",
        "shop_logo",
    )
    # A product's ticket is not an asset's, even under the same id
    product_ticket = UploadTicket("a-2", "p-1", "s-1", "u", "image/png", ImageStatus.READY, now)
    repo.add_ticket(product_ticket)
    assert repo.asset_ticket("a-2") is None


def test_category_usage_counts_shops_and_products_in_every_state(repo: Any) -> None:
    # Given shops and products over two categories, one product deleted, one moved
    home = repo.add_shop(make_shop("s-1", category="home"))
    repo.add_shop(make_shop("s-2", "seller-2", category="shoes"))
    for n in range(7):
        repo.add_product(make_product(f"p-{n}", home, category="home", subcategory="lamps"))
    repo.add_product(make_product("p-rug", home, category="home", subcategory="rugs"))
    repo.add_product(make_product("p-none", home, category="home", subcategory=None))
    gone = repo.set_product_deleted(
        repo.product("p-0"), deleted_at=clock.now(), purge_after=clock.now()
    )
    moved = repo.save_product(
        replace(repo.product("p-1"), subcategory="rugs"), old_slug="product-p-1"
    )
    # Then the counts are exact and the samples bounded
    usage = repo.category_usage("home", sample=3)
    assert (usage.products, usage.shops, usage.shop_ids) == (9, 1, ("s-1",))
    assert len(usage.product_ids) == 3
    lamps = repo.category_usage("home", "lamps", sample=10)
    assert (lamps.products, lamps.shops) == (6, 0)
    assert set(lamps.product_ids) == {"p-0", "p-2", "p-3", "p-4", "p-5", "p-6"}
    assert repo.category_usage("home", "rugs").products == 2
    assert repo.category_usage("home", "lamp").products == 0  # a prefix is not a name
    assert repo.category_usage("toys").in_use is False
    # When a product is purged and a shop moves, they stop counting
    repo.purge_product(gone, only_if_deleted=True)
    repo.save_shop(replace(repo.shop("s-1"), category="toys"), old_slug="slug-s-1")
    after = repo.category_usage("home")
    assert (after.products, after.shops) == (8, 0)
    assert repo.category_usage("toys").shops == 1
    assert moved.subcategory == "rugs"


def test_offers_are_kept_per_shop(repo: Any) -> None:
    now = clock.now()
    offer = Offer("o-1", "s-1", "Sale", 10, now, now + timedelta(days=1), ("p-1", "p-2"), now)
    repo.add_offer(offer)
    assert repo.offers("s-1") == [offer]
    assert repo.offers("s-2") == []
    assert repo.offer("s-1", "o-1") == offer
    repo.delete_offer(offer)
    assert repo.offer("s-1", "o-1") is None


def test_code_uses_count_within_both_limits_all_or_nothing(repo: Any) -> None:
    now = clock.now()
    repo.add_code(make_code("ONCE", "s-1", max_uses=1))
    repo.add_code(make_code("MINE", "s-1", per_user_limit=1))
    with pytest.raises(ClaimTaken):
        repo.add_code(make_code("ONCE", "s-2"))
    assert [c.code for c in repo.shop_codes("s-1")] == ["MINE", "ONCE"]

    def use(code: str, user: str, **limits: Any) -> None:
        with repo.transaction() as transaction:
            repo.write_redemption(transaction, code=code, user_id=user, now=now, **limits)

    use("ONCE", "ann", max_uses=1, per_user_limit=None)
    assert (repo.code("ONCE").used, repo.code_uses("ONCE", "ann")) == (1, 1)
    with pytest.raises(TransactionCancelledError) as refused:
        use("ONCE", "bob", max_uses=1, per_user_limit=None)
    assert refused.value.failed(0)
    assert (repo.code("ONCE").used, repo.code_uses("ONCE", "bob")) == (1, 0)
    use("MINE", "ann", max_uses=None, per_user_limit=1)
    with pytest.raises(TransactionCancelledError) as again:
        use("MINE", "ann", max_uses=None, per_user_limit=1)
    assert again.value.failed(1)
    assert repo.code("MINE").used == 1  # the code's counter did not move alone
    # Releasing gives one use back, never below zero
    repo.release_redemption("MINE", user_id="ann")
    assert (repo.code("MINE").used, repo.code_uses("MINE", "ann")) == (0, 0)
    with pytest.raises(TransactionCancelledError):
        repo.release_redemption("MINE", user_id="ann")
    # An inactive or expired code takes no use
    stopped = repo.deactivate_code(repo.code("ONCE"))
    assert stopped.active is False
    repo.add_code(make_code("OLD", "s-1", ends_at=now - timedelta(seconds=1)))
    for code in ("ONCE", "OLD"):
        with pytest.raises(TransactionCancelledError):
            use(code, "cy", max_uses=None, per_user_limit=None)


def test_site_config_saves_at_the_version_read(repo: Any) -> None:
    empty = repo.site_config()
    assert (empty.categories, empty.version) == ({}, 0)
    saved = repo.save_site_config(replace(empty, categories={"shoes": ["boots"]}, logo_key="l"))
    assert (saved.categories, saved.logo_key, saved.version) == ({"shoes": ["boots"]}, "l", 1)
    assert repo.site_config() == saved
    with pytest.raises(WriteRefused):
        repo.save_site_config(replace(empty, categories={}))
    assert repo.save_site_config(replace(saved, banner_key="b")).version == 2
    with pytest.raises(WriteRefused):
        repo.save_site_config(SiteConfig(categories={}, updated_at=clock.now(), version=7))


def _catalog(repo: Any) -> dict[str, Any]:
    """Eight listed products with known facets, prices and popularity."""
    now = clock.now().replace(microsecond=0)
    shop, other = make_shop("s-1"), make_shop("s-2", "seller-2")
    active = ProductOffer("o-1", "Now", 50, now - timedelta(hours=1), now + timedelta(hours=1))
    future = ProductOffer("o-2", "Later", 50, now + timedelta(hours=1), now + timedelta(hours=2))
    rows = [
        ("a", shop, "Red trail runner", "shoes", "sneakers", "Acme", ("red",), 1000, None, 5),
        ("b", shop, "Blue trail boot", "shoes", "boots", "Acme", ("blue",), 2000, active, 50),
        ("c", shop, "Cozy red lamp", "home", "lighting", "Zenith", ("red",), 3000, None, 9),
        (
            "d",
            other,
            "Urban red jacket",
            "clothing",
            None,
            "Orbit",
            ("red", "black"),
            4000,
            future,
            1,
        ),
        ("e", other, "Light trail jacket", "clothing", None, None, ("white",), 500, None, 30),
        ("f", other, "Classic boot", "shoes", "boots", "acme", ("black",), 2500, None, 7),
        ("g", shop, "Trail mug", "home", "kitchen", "Zenith", (), 800, None, 0),
        ("h", other, "Trail lamp", "home", "lighting", "Zenith", ("red",), 1200, active, 12),
    ]
    made = {}
    for n, (pid, owner, title, cat, sub, brand, colors, price, offer, pop) in enumerate(rows):
        product = make_product(
            pid,
            owner,
            title=title,
            category=cat,
            subcategory=sub,
            brand=brand,
            colors=colors,
            regular_price=price,
            offer=offer,
            popularity=pop,
            created_at=now - timedelta(minutes=len(rows) - n),
            version=1,
        )
        made[pid] = product
    repo.post_many([made[pid] for pid in "abcdefg"])
    assert repo.sync_postings("h", made["h"]) > 0
    return {"now": now, **made}


def _all(repo: Any, query: SearchQuery, now: Any) -> list[str]:
    found: list[str] = []
    cursor = None
    for _ in range(20):
        page = repo.search(query, cursor, now=now)
        found += [item.product_id for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return found
    raise AssertionError("pagination did not end")


def test_search_filters_sorts_and_pages_the_listed_products(repo: Any) -> None:
    made = _catalog(repo)
    now = made["now"]
    expectations = [
        (SearchQuery(), list("hgfedcba")),
        (SearchQuery(limit=3), list("hgfedcba")),
        (SearchQuery(category="shoes", sort="price_asc"), list("abf")),
        (SearchQuery(category="shoes", subcategory="boots", sort="price_desc"), list("fb")),
        (SearchQuery(brand="ACME", sort="popularity"), list("bfa")),
        (SearchQuery(colors=("red",), sort="price_asc", limit=2), list("ahcd")),
        (SearchQuery(colors=("red", "black"), shop_id="s-2", sort="price_asc"), list("hfd")),
        (SearchQuery(text="trail", sort="price_asc"), list("egahb")),
        (SearchQuery(text="red trail"), list("a")),
        (SearchQuery(text="trails"), list("hgeba")),
        (SearchQuery(on_offer=True, sort="price_asc"), list("hb")),
        (SearchQuery(min_price=900, max_price=2000, sort="price_asc"), list("ab")),
        (SearchQuery(min_price=2500, sort="price_desc"), list("dcf")),
        (SearchQuery(text="nothing"), []),
    ]
    for query, expected in expectations:
        assert _all(repo, query, now) == expected, query
    # A product that stops being listed leaves every search; its postings go
    assert repo.sync_postings("h", None) == 0
    assert _all(repo, SearchQuery(on_offer=True), now) == ["b"]
    # Related: same (sub)category, most popular first, this one excluded
    assert [i.product_id for i in repo.related(made["b"], limit=6)] == ["f"]
    assert [i.product_id for i in repo.related(made["d"], limit=6)] == ["e"]
    lamp = repo.related(made["g"], limit=6)
    assert lamp == []
    # A listing carries the card: list price, offer price and window
    (card,) = repo.search(SearchQuery(text="blue"), None, now=now).items
    assert (card.price, card.offer_price, card.price_at(now)) == (2000, 1000, (1000, True))
    # A cursor serves only its own search
    page = repo.search(SearchQuery(limit=1), None, now=now)
    with pytest.raises(BadRequestError):
        repo.search(SearchQuery(limit=1, category="home"), page.next_cursor, now=now)


def test_search_sorts_by_review_rating_and_filters_by_a_minimum(repo: Any) -> None:
    # Given products rated 4.5 (2 reviews), 4.5 (10 reviews), 3.0, 5.0 (1) and one unrated
    made = _catalog(repo)
    now = made["now"]
    ratings = {"a": (9, 2), "b": (45, 10), "c": (3, 1), "e": (5, 1), "f": (0, 0)}
    for pid, (total, count) in ratings.items():
        repo.sync_postings(pid, replace(made[pid], rating_sum=total, rating_count=count))
    # When searching sorted by rating: the best average first, then the most reviewed,
    # the unrated last
    assert _all(repo, SearchQuery(sort="rating", limit=2), now)[:4] == list("ebac")
    assert _all(repo, SearchQuery(category="shoes", sort="rating"), now) == list("baf")
    # And with a minimum (in hundredths): only products rated at least that, any sort
    assert _all(repo, SearchQuery(min_rating=450, sort="rating"), now) == list("eba")
    assert _all(repo, SearchQuery(min_rating=450, sort="price_asc"), now) == list("eab")
    assert _all(repo, SearchQuery(min_rating=300, text="trail", sort="rating"), now) == list("eba")
    assert _all(repo, SearchQuery(min_rating=500), now) == ["e"]
    # And the listing carries the counted ratings for the card
    (card,) = repo.search(SearchQuery(text="blue"), None, now=now).items
    assert (card.rating_sum, card.rating_count) == (45, 10)


def test_variants_read_back_in_order_and_leave_when_cleared(repo: Any) -> None:
    from chalicelib.catalog.domain import Variant

    shop = make_shop()
    variants = (
        Variant(sku="white-42", stock=2, color="white", size="42", price=9900),
        Variant(sku="black-42", stock=5, color="black", size="42"),
    )
    shoe = repo.add_product(make_product("p-v", shop, slug="shoe", stock=7, variants=variants))
    assert repo.product("p-v").variants == variants
    moves = repo.stock_moves({"p-v#white-42": 1, "p-v#black-42": 2}, take=True)
    assert (moves.product_ids, moves.keys) == (("p-v",), {"p-v": ("p-v#white-42", "p-v#black-42")})
    plain = repo.save_product(replace(shoe, variants=()), old_slug="shoe")
    assert (plain.variants, repo.product("p-v").variants) == ((), ())
