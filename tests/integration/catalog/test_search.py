"""Search answers by Query only and agrees with a brute-force filter over the same data."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.catalog.conftest import CATEGORIES, World, product_body

COLORS = ["red", "black", "blue", "green", "white"]
SIZES = ["s", "m", "l", "42", "43"]
TAGS = ["running", "outdoor", "summer", "vintage", "eco"]
BRANDS = ["Acme", "Zenith", "Orbit"]
WORDS = ["trail", "classic", "cozy", "urban", "light"]


def build_catalog(world: World, rng: random.Random, count: int) -> tuple[list[Any], list[Any]]:
    from chalicelib.catalog.service import products

    sellers = [world.seller_with_shop() for _ in range(3)]
    made = []
    for n in range(count):
        seller, _ = sellers[n % 3]
        category = rng.choice(sorted(CATEGORIES))
        regular = rng.randrange(500, 20_000, 50)
        body = product_body(
            title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} item {n}",
            category=category,
            subcategory=rng.choice([None, *CATEGORIES[category]]),
            brand=rng.choice(BRANDS),
            tags=rng.sample(TAGS, rng.randint(0, 2)),
            colors=rng.sample(COLORS, rng.randint(1, 2)),
            sizes=rng.sample(SIZES, rng.randint(0, 2)),
            regular_price=regular,
            sale_price=regular - 100 if rng.random() < 0.3 else None,
            stock=rng.randint(0, 5),
        )
        made.append(products.create_product(seller.caller, body))
    return sellers, made


def brute_force(items: list[Any], query: Any, now: Any) -> list[str]:
    """The same search done the obvious way: filter everything in memory, then sort."""
    from chalicelib.catalog.domain import tokens, words_of

    out = []
    for product in items:
        price = product.price_at(now)
        checks = [
            not query.category or product.category == query.category,
            not query.subcategory or product.subcategory == query.subcategory,
            not query.brand or (product.brand or "").lower() == query.brand.lower(),
            not query.shop_id or product.shop_id == query.shop_id,
            not query.colors or bool(set(query.colors) & set(product.colors)),
            not query.sizes or bool(set(query.sizes) & set(product.sizes)),
            not query.tags or bool(set(query.tags) & set(product.tags)),
            set(tokens(query.text or "")) <= set(words_of(product)),
            query.min_price is None or price >= query.min_price,
            query.max_price is None or price <= query.max_price,
            not query.on_offer or product.on_offer_at(now),
        ]
        if all(checks):
            out.append(product)
    keyed = {
        "newest": lambda p: (p.created_at.isoformat(), p.product_id),
        "price_asc": lambda p: (p.list_price, p.product_id),
        "price_desc": lambda p: (p.list_price, p.product_id),
        "popularity": lambda p: (int(p.popularity), p.product_id),
    }[query.sort]
    ordered = sorted(out, key=keyed, reverse=query.sort in ("newest", "price_desc", "popularity"))
    return [p.product_id for p in ordered]


def all_pages(query: Any, now: Any) -> tuple[list[str], int]:
    from chalicelib.catalog.service import browse

    found: list[str] = []
    cursor = None
    for pages in range(1, 101):
        page = browse.find(query, cursor, now=now)
        found += [posting.product_id for posting in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return found, pages
    raise AssertionError("pagination did not end")


def test_filtered_sorted_search_matches_brute_force_and_never_scans(world: World) -> None:
    from chalicelib.catalog.domain import SearchQuery
    from chalicelib.catalog.schemas import OfferInput
    from chalicelib.catalog.service import browse, offers, products
    from chalicelib.core import clock

    rng = random.Random(4)
    sellers, made = build_catalog(world, rng, 45)
    now = clock.now()
    # An active offer on a few products, a future one on others.
    seller, _ = sellers[0]
    mine = [p.product_id for p in made if p.seller_id == seller.account_id]
    offers.create_offer(
        seller.caller,
        OfferInput(
            name="Spring",
            percent_off=30,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
            product_ids=mine[:4],
        ),
    )
    offers.create_offer(
        seller.caller,
        OfferInput(
            name="Later",
            percent_off=10,
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=3),
            product_ids=mine[4:6],
        ),
    )
    world.pump()
    current = [products.get_product(p.product_id) for p in made]
    scans: list[str] = []

    def no_scan(**kwargs: Any) -> None:
        scans.append(kwargs["event_name"])

    from chalicelib.catalog.models import Posting

    Posting._get_connection().connection.client.meta.events.register(
        "before-call.dynamodb.Scan", no_scan
    )
    queries = [
        SearchQuery(),
        SearchQuery(category="shoes"),
        SearchQuery(category="clothing", subcategory="jackets"),
        SearchQuery(colors=("red",), sort="price_asc", limit=4),
        SearchQuery(colors=("red", "blue"), sizes=("m",), sort="price_desc", limit=3),
        SearchQuery(brand="acme", min_price=3000, max_price=12000, sort="price_asc", limit=5),
        SearchQuery(text="trail", sort="newest", limit=4),
        SearchQuery(text="cozy urban", category="home", limit=2),
        SearchQuery(tags=("eco",), sort="popularity", limit=3),
        SearchQuery(on_offer=True, sort="price_asc", limit=2),
        SearchQuery(min_price=5000, sort="price_asc", limit=7),
        SearchQuery(max_price=4000, sort="newest", limit=6),
        SearchQuery(shop_id=sellers[1][1].shop_id, sort="price_desc", limit=5),
        SearchQuery(text="nothing-like-this"),
    ]
    for query in queries:
        found, pages = all_pages(query, now)
        expected = brute_force(current, query, now)
        assert found == expected, query
        assert pages >= len(expected) // query.limit
    assert scans == []
    assert browse.find(SearchQuery(text="nothing-like-this"), now=now).items == []


def test_deleted_products_and_banned_sellers_never_appear(world: World) -> None:
    from chalicelib.catalog.domain import SearchQuery
    from chalicelib.catalog.service import browse, products, shops
    from chalicelib.core.errors import NotFoundError
    from chalicelib.identity import admin

    (alice, _), (bob, bob_shop) = world.seller_with_shop(), world.seller_with_shop()
    kept = products.create_product(alice.caller, product_body(title="Kept boot"))
    gone = products.create_product(alice.caller, product_body(title="Gone boot"))
    banned = products.create_product(bob.caller, product_body(title="Banned boot"))
    world.pump()
    everything = {p.product_id for p in browse.find(SearchQuery(text="boot")).items}
    assert everything == {kept.product_id, gone.product_id, banned.product_id}

    products.delete_product(alice.caller, gone.product_id)
    root = world.person("admin")
    admin.ban(root.account_id, bob.account_id, reason="fraud")
    world.pump()

    visible = {p.product_id for p in browse.find(SearchQuery(text="boot")).items}
    assert visible == {kept.product_id}
    for hidden in (gone.product_id, banned.product_id):
        with pytest.raises(NotFoundError):
            products.visible_product(hidden)
    with pytest.raises(NotFoundError):
        shops.visible_shop(bob_shop.shop_id)

    admin.unban(root.account_id, bob.account_id)
    products.restore_product(alice.caller, gone.product_id)
    world.pump()
    visible = {p.product_id for p in browse.find(SearchQuery(text="boot")).items}
    assert visible == {kept.product_id, gone.product_id, banned.product_id}


def test_a_cursor_of_another_search_is_refused(world: World) -> None:
    from chalicelib.catalog.domain import SearchQuery
    from chalicelib.catalog.service import browse, products
    from chalicelib.core.errors import BadRequestError

    seller, _ = world.seller_with_shop()
    for n in range(3):
        products.create_product(seller.caller, product_body(title=f"Boot {n}"))
    world.pump()
    page = browse.find(SearchQuery(limit=1))
    assert page.next_cursor
    with pytest.raises(BadRequestError):
        browse.find(SearchQuery(limit=1, category="home"), page.next_cursor)
