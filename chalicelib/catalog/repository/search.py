"""The search table: posting lists that serve filtered, sorted search by Query.

DynamoDB is not a search engine, so search reads its own table, kept in step with the
catalog from ``product.updated`` events (``chalicelib.catalog.service.indexer``):

- A **posting** is one product in one *partition*: ``all``, ``cat#<category>``,
  ``sub#<category>/<sub>``, ``brand#<brand>``, ``shop#<id>``, ``tag#<t>``, ``color#<c>``,
  ``size#<s>``, ``word#<token>`` (title, brand, tags, category words) and ``offer``.
  Key ``pk`` = partition, ``sk`` = product id. Each posting carries the product's card
  (title, price, facets, thumbnail), so a results page needs no second read.
- Four GSIs on the same partition key order postings for the four sorts:
  ``by-price`` (``price_sk`` = list price, zero-padded, ``#id``), ``by-newest``
  (``newest_sk`` = created time ``#id``), ``by-popularity`` (``pop_sk``) and
  ``by-rating`` (``rating_sk`` = review average in hundredths ``#`` review count ``#id``;
  the reviews capability sets a product's rating, which re-posts it).
  Sort keys end in the product id, so the order is total and cursors are exact.
- ``COUNT#<partition>`` items count each partition's postings; a search BatchGets the
  counts of the partitions its filters name and Queries the smallest ("driving")
  partition, with the remaining filters as a FilterExpression on the postings.
- ``DOC#<product id>`` remembers which partitions a product is posted in, so a change
  removes exactly the stale postings.

Only listed products are posted: deleted products, and products of deleted shops or
banned sellers, have no postings at all, so no query can return them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.catalog.domain import (
    Listing,
    Product,
    SearchPage,
    SearchQuery,
    normalize_label,
    percent_off,
    rating_hundredths,
    tokens,
    words_of,
)
from chalicelib.catalog.models import PartitionCount, Posting, PostingDoc, count_pk, doc_pk
from chalicelib.core import clock
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings

ALL = "all"
OFFER = "offer"
_PRICE_WIDTH = 12


def _price_key(price: int, product_id: str) -> str:
    return f"{price:0{_PRICE_WIDTH}d}#{product_id}"


def _rating_key(hundredths: int, count: int, product_id: str) -> str:
    return f"{hundredths:03d}#{count:09d}#{product_id}"


def partitions_of(product: Product) -> list[str]:
    """Every partition a listed product is posted in."""
    parts = [ALL, f"cat#{product.category}", f"shop#{product.shop_id}"]
    if product.subcategory:
        parts.append(f"sub#{product.category}/{product.subcategory}")
    if product.brand:
        parts.append(f"brand#{normalize_label(product.brand)}")
    parts += [f"tag#{tag}" for tag in product.tags]
    # A product with variants is found by the colours and sizes it has in stock.
    parts += [f"color#{color}" for color in product.listed_colors]
    parts += [f"size#{size}" for size in product.listed_sizes]
    parts += [f"word#{word}" for word in words_of(product)]
    if product.offer:
        parts.append(OFFER)
    return list(dict.fromkeys(parts))


def postings_of(product: Product) -> list[Posting]:
    """The postings of a listed product, one per partition."""
    price = product.list_price
    offer = product.offer
    created = clock.iso(product.created_at)
    words = words_of(product)
    rating = rating_hundredths(product.rating_sum, product.rating_count)
    out = []
    for partition in partitions_of(product):
        out.append(
            Posting(
                pk=partition,
                sk=product.product_id,
                price_sk=_price_key(price, product.product_id),
                newest_sk=f"{created}#{product.product_id}",
                pop_sk=f"{product.popularity:012d}#{product.product_id}",
                rating_sk=_rating_key(rating, product.rating_count, product.product_id),
                product_id=product.product_id,
                shop_id=product.shop_id,
                title=product.title,
                slug=product.slug,
                category=product.category,
                subcategory=product.subcategory,
                brand=product.brand,
                brand_key=normalize_label(product.brand) if product.brand else None,
                tags=list(product.tags),
                colors=list(product.listed_colors),
                sizes=list(product.listed_sizes),
                combos=list(product.listed_combos),
                words=words,
                price=price,
                regular_price=product.regular_price,
                currency=product.currency,
                offer_price=percent_off(price, offer.percent_off) if offer else None,
                offer_starts=clock.iso(offer.starts_at) if offer else None,
                offer_ends=clock.iso(offer.ends_at) if offer else None,
                stock=product.stock,
                popularity=product.popularity,
                created=created,
                thumbnail_key=product.thumbnail_key,
                rating=rating,
                rating_sum=product.rating_sum,
                rating_count=product.rating_count,
            )
        )
    return out


def listing_of(posting: Posting) -> Listing:
    return Listing(
        product_id=posting.product_id,
        shop_id=posting.shop_id,
        title=posting.title,
        slug=posting.slug,
        category=posting.category,
        subcategory=posting.subcategory,
        brand=posting.brand,
        tags=tuple(posting.tags or ()),
        colors=tuple(posting.colors or ()),
        sizes=tuple(posting.sizes or ()),
        price=int(posting.price),
        regular_price=int(posting.regular_price),
        currency=posting.currency,
        offer_price=None if posting.offer_price is None else int(posting.offer_price),
        offer_starts=clock.parse(posting.offer_starts) if posting.offer_starts else None,
        offer_ends=clock.parse(posting.offer_ends) if posting.offer_ends else None,
        stock=int(posting.stock),
        popularity=int(posting.popularity),
        created=posting.created,
        thumbnail_key=posting.thumbnail_key,
        rating_sum=int(posting.rating_sum or 0),
        rating_count=int(posting.rating_count or 0),
    )


def fingerprint(query: SearchQuery) -> str:
    """Identifies a search (all but its page size): a cursor only serves its own search."""
    data = {k: v for k, v in query.__dict__.items() if k != "limit"}
    raw = json.dumps(data, sort_keys=True, default=list).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _candidates(query: SearchQuery) -> list[str]:
    found: list[str] = []
    if query.shop_id:
        found.append(f"shop#{query.shop_id}")
    if query.subcategory and query.category:
        found.append(f"sub#{query.category}/{query.subcategory}")
    if query.category:
        found.append(f"cat#{query.category}")
    if query.brand:
        found.append(f"brand#{normalize_label(query.brand)}")
    found += [f"word#{word}" for word in tokens(query.text or "")]
    for name, values in (("tag", query.tags), ("color", query.colors), ("size", query.sizes)):
        if len(values) == 1:
            found.append(f"{name}#{values[0]}")
    if query.on_offer:
        found.append(OFFER)
    return found


def _driving_partition(query: SearchQuery) -> tuple[str, int]:
    """The candidate partition with the fewest postings (one BatchGet), or ``all``."""
    candidates = _candidates(query)
    if not candidates:
        return ALL, 0
    counts = dict.fromkeys(candidates, 0)
    for item in PartitionCount.batch_get([(count_pk(c), "COUNT") for c in candidates]):
        counts[item.pk.removeprefix("COUNT#")] = int(item.n)
    best = min(candidates, key=lambda c: (counts[c], candidates.index(c)))
    return best, 1


def _any_of(conditions: list[Condition]) -> Condition:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined | condition
    return combined


def _rating_is_key_range(query: SearchQuery) -> bool:
    """Whether the minimum rating is the sort key's range (sorted by rating) rather than a
    filter."""
    return query.sort == "rating" and query.min_rating is not None


def _filters(query: SearchQuery, driving: str, now: datetime) -> Condition | None:
    conditions: list[Condition] = []
    if query.shop_id and driving != f"shop#{query.shop_id}":
        conditions.append(Posting.shop_id == query.shop_id)
    if query.category and driving != f"cat#{query.category}":
        conditions.append(Posting.category == query.category)
    if query.subcategory:
        conditions.append(Posting.subcategory == query.subcategory)
    if query.brand and driving != f"brand#{normalize_label(query.brand)}":
        conditions.append(Posting.brand_key == normalize_label(query.brand))
    for word in tokens(query.text or ""):
        if driving != f"word#{word}":
            conditions.append(Posting.words.contains(word))
    for attribute, values in (
        (Posting.tags, query.tags),
        (Posting.colors, query.colors),
        (Posting.sizes, query.sizes),
    ):
        if values:
            conditions.append(_any_of([attribute.contains(value) for value in values]))
    if query.colors and query.sizes:
        # Both asked: one buyable colour/size pair (a variant in stock), not any of each.
        pairs = [f"{color}/{size}" for color in query.colors for size in query.sizes]
        conditions.append(_any_of([Posting.combos.contains(pair) for pair in pairs]))
    now_text = clock.iso(now)
    active = (Posting.offer_starts <= now_text) & (Posting.offer_ends > now_text)
    if query.on_offer:
        conditions.append(active)
    if query.min_price is not None or query.max_price is not None:
        low = query.min_price if query.min_price is not None else 0
        high = query.max_price if query.max_price is not None else 10**_PRICE_WIDTH - 1
        conditions.append(
            (active & Posting.offer_price.between(low, high))
            | (~active & Posting.price.between(low, high))
        )
    if query.min_rating is not None and not _rating_is_key_range(query):
        conditions.append(Posting.rating >= query.min_rating)
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined & condition
    return combined


_SORTS: dict[str, tuple[str, str, bool]] = {
    # sort → (index, its range key attribute, ascending)
    "newest": ("by-newest", "newest_sk", False),
    "price_asc": ("by-price", "price_sk", True),
    "price_desc": ("by-price", "price_sk", False),
    "popularity": ("by-popularity", "pop_sk", False),
    "rating": ("by-rating", "rating_sk", False),
}


class SearchTable:
    """The search half of the DynamoDB catalog repository."""

    def sync_postings(self, product_id: str, listed: Product | None) -> int:
        try:
            doc: PostingDoc | None = PostingDoc.get(doc_pk(product_id), "DOC", consistent_read=True)
        except PostingDoc.DoesNotExist:
            doc = None
        old = list(doc.partitions) if doc is not None else []
        postings = postings_of(listed) if listed is not None else []
        new = [posting.pk for posting in postings]
        stale = [partition for partition in old if partition not in new]
        with Posting.batch_write() as batch:
            for posting in postings:
                batch.save(posting)
            for partition in stale:
                batch.delete(Posting(pk=partition, sk=product_id))
        if new:
            PostingDoc(pk=doc_pk(product_id), partitions=new).save()
        elif doc is not None:
            doc.delete()
        _adjust_counts({p: 1 for p in new if p not in old} | dict.fromkeys(stale, -1))
        return len(postings)

    def post_many(self, products: Iterable[Product]) -> int:
        deltas: dict[str, int] = {}
        written = 0
        with Posting.batch_write() as batch:
            for product in products:
                postings = postings_of(product)
                for posting in postings:
                    batch.save(posting)
                    deltas[posting.pk] = deltas.get(posting.pk, 0) + 1
                batch.save(
                    PostingDoc(pk=doc_pk(product.product_id), partitions=[p.pk for p in postings])
                )
                written += len(postings)
        _adjust_counts(deltas)
        return written

    def search(self, query: SearchQuery, cursor: str | None, *, now: datetime) -> SearchPage:
        settings = get_settings()
        print_ = fingerprint(query)
        start: dict[str, Any] | None = None
        decoded = decode_cursor(cursor)
        if decoded is not None:
            if decoded.get("q") != print_ or not isinstance(decoded.get("k"), dict):
                raise BadRequestError("This cursor belongs to another search")
            start = decoded["k"]
            driving = str(decoded["d"])
            queries = 0
        else:
            driving, queries = _driving_partition(query)
        index_name, sort_attribute, ascending = _SORTS[query.sort]
        key_condition = None
        if query.sort in ("price_asc", "price_desc") and query.min_price is not None:
            # An offer only lowers a price, so a list price below the minimum never matches.
            key_condition = Posting.price_sk >= f"{query.min_price:0{_PRICE_WIDTH}d}"
        if _rating_is_key_range(query):
            assert query.min_rating is not None
            # Sorted by rating, the minimum is a range on the sort key (nothing read below).
            key_condition = Posting.rating_sk >= f"{query.min_rating:03d}"
        filter_condition = _filters(query, driving, now)
        connection = Posting._get_connection()
        page = SearchPage(driving_partition=driving, queries=queries)
        budget = settings.search_max_reads
        batch = min(max(query.limit * 3, 30), 300)
        last_raw: dict[str, Any] | None = None
        exhausted = False
        while True:
            response = connection.query(
                driving,
                range_key_condition=key_condition,
                filter_condition=filter_condition,
                index_name=index_name,
                exclusive_start_key=start,
                scan_index_forward=ascending,
                limit=min(batch, budget),
            )
            page.queries += 1
            read = int(response.get("ScannedCount", 0))
            page.items_read += read
            budget -= read
            items = response.get("Items", [])
            start = response.get("LastEvaluatedKey")
            for position, raw in enumerate(items):
                page.items.append(listing_of(Posting.from_raw_data(raw)))
                last_raw = raw
                if len(page.items) == query.limit:
                    exhausted = start is None and position == len(items) - 1
                    break
            if len(page.items) == query.limit:
                break
            if start is None:
                exhausted = True
                break
            if budget <= 0:
                break
        if exhausted:
            page.next_cursor = None
        elif len(page.items) == query.limit and last_raw is not None:
            key = {name: last_raw[name] for name in ("pk", "sk", sort_attribute)}
            page.next_cursor = encode_cursor({"q": print_, "d": driving, "k": key})
        elif start is not None:
            page.next_cursor = encode_cursor({"q": print_, "d": driving, "k": start})
        return page

    def related(self, product: Product, *, limit: int) -> list[Listing]:
        partition = (
            f"sub#{product.category}/{product.subcategory}"
            if product.subcategory
            else f"cat#{product.category}"
        )
        results = Posting.by_popularity.query(partition, scan_index_forward=False, limit=limit + 1)
        return [listing_of(item) for item in results if item.product_id != product.product_id][
            :limit
        ]


def _adjust_counts(deltas: dict[str, int]) -> None:
    for partition, delta in deltas.items():
        if delta:
            PartitionCount(pk=count_pk(partition)).update(actions=[PartitionCount.n.add(delta)])
