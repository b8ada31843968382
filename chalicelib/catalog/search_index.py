"""The search index table: posting lists that serve filtered, sorted search by Query.

DynamoDB is not a search engine, so search reads its own table, kept in step with the
catalog from ``product.updated`` events (``chalicelib.catalog.indexer``):

- A **posting** is one product in one *partition*: ``all``, ``cat#<category>``,
  ``sub#<category>/<sub>``, ``brand#<brand>``, ``shop#<id>``, ``tag#<t>``, ``color#<c>``,
  ``size#<s>``, ``word#<token>`` (title, brand, tags, category words) and ``offer``.
  Key ``pk`` = partition, ``sk`` = product id. Each posting carries the product's card
  (title, price, facets, thumbnail), so a results page needs no second read.
- Three GSIs on the same partition key order postings for the three sorts:
  ``by-price`` (``price_sk`` = list price, zero-padded, ``#id``), ``by-newest``
  (``newest_sk`` = created time ``#id``) and ``by-popularity`` (``pop_sk``).
  Sort keys end in the product id, so the order is total and cursors are exact.
- ``COUNT#<partition>`` items count each partition's postings; a search BatchGets the
  counts of the partitions its filters name and Queries the smallest ("driving")
  partition, with the remaining filters as a FilterExpression on the postings.
- ``DOC#<product id>`` remembers which partitions a product is posted in, so a change
  removes exactly the stale postings.

Only visible products are posted: deleted products, and products of deleted shops or
banned sellers, have no postings at all, so no query can return them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.catalog.models import Product, Shop
from chalicelib.catalog.pricing import list_price, offer_is_active, percent_off
from chalicelib.core import clock
from chalicelib.core.dynamo import bind_table
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings

Sort = Literal["newest", "price_asc", "price_desc", "popularity"]
ALL = "all"
OFFER = "offer"
_WORD = re.compile(r"[a-z0-9]+")
_PRICE_WIDTH = 12
STOP_WORDS = frozenset({"and", "the", "for", "with", "of", "in", "on", "to", "a", "an"})


def tokens(text: str) -> list[str]:
    """Search tokens of ``text``: lower-case words of 2+ characters, plural ``s`` dropped."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) < 2 or word in STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return list(dict.fromkeys(out))


def _price_key(price: int, product_id: str) -> str:
    return f"{price:0{_PRICE_WIDTH}d}#{product_id}"


class ByPrice(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-price"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    price_sk = UnicodeAttribute(range_key=True)


class ByNewest(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-newest"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    newest_sk = UnicodeAttribute(range_key=True)


class ByPopularity(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-popularity"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    pop_sk = UnicodeAttribute(range_key=True)


@bind_table("search_table")
class Posting(Model):
    """One product in one partition, with its card."""

    class Meta:
        table_name = "search"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    price_sk = UnicodeAttribute()
    newest_sk = UnicodeAttribute()
    pop_sk = UnicodeAttribute()
    product_id = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    title = UnicodeAttribute()
    slug = UnicodeAttribute()
    category = UnicodeAttribute()
    subcategory = UnicodeAttribute(null=True)
    brand = UnicodeAttribute(null=True)
    brand_key = UnicodeAttribute(null=True)
    tags = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    colors = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    sizes = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    words = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    price = NumberAttribute()
    regular_price = NumberAttribute()
    currency = UnicodeAttribute()
    offer_price = NumberAttribute(null=True)
    offer_starts = UnicodeAttribute(null=True)
    offer_ends = UnicodeAttribute(null=True)
    stock = NumberAttribute()
    popularity = NumberAttribute()
    created = UnicodeAttribute()
    thumbnail_key = UnicodeAttribute(null=True)
    by_price = ByPrice()
    by_newest = ByNewest()
    by_popularity = ByPopularity()


@bind_table("search_table")
class PostingDoc(Model):
    """The partitions one product is posted in."""

    class Meta:
        table_name = "search"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="DOC")
    partitions = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]


@bind_table("search_table")
class PartitionCount(Model):
    """How many postings a partition holds (chooses the driving partition)."""

    class Meta:
        table_name = "search"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="COUNT")
    n = NumberAttribute(default=0)


def doc_pk(product_id: str) -> str:
    return f"DOC#{product_id}"


def count_pk(partition: str) -> str:
    return f"COUNT#{partition}"


def _norm(value: str) -> str:
    return " ".join(value.lower().split())


def partitions_of(product: Product) -> list[str]:
    """Every partition a visible product is posted in."""
    parts = [ALL, f"cat#{product.category}", f"shop#{product.shop_id}"]
    if product.subcategory:
        parts.append(f"sub#{product.category}/{product.subcategory}")
    if product.brand:
        parts.append(f"brand#{_norm(product.brand)}")
    parts += [f"tag#{tag}" for tag in product.tags or []]
    parts += [f"color#{color}" for color in product.colors or []]
    parts += [f"size#{size}" for size in product.sizes or []]
    parts += [f"word#{word}" for word in words_of(product)]
    if product.offer:
        parts.append(OFFER)
    return list(dict.fromkeys(parts))


def words_of(product: Product) -> list[str]:
    text = " ".join(
        [
            product.title,
            product.brand or "",
            product.category,
            product.subcategory or "",
            *(product.tags or []),
        ]
    )
    return tokens(text)


def postings_of(product: Product) -> list[Posting]:
    """The postings of a visible product, one per partition."""
    price = list_price(
        int(product.regular_price),
        None if product.sale_price is None else int(product.sale_price),
    )
    offer = product.offer or None
    created = clock.iso(product.created_at)
    popularity = int(product.popularity or 0)
    images = product.images or []
    thumbnail = images[0].get("thumbnail_key") if images else None
    out = []
    for partition in partitions_of(product):
        out.append(
            Posting(
                pk=partition,
                sk=product.product_id,
                price_sk=_price_key(price, product.product_id),
                newest_sk=f"{created}#{product.product_id}",
                pop_sk=f"{popularity:012d}#{product.product_id}",
                product_id=product.product_id,
                shop_id=product.shop_id,
                title=product.title,
                slug=product.slug,
                category=product.category,
                subcategory=product.subcategory,
                brand=product.brand,
                brand_key=_norm(product.brand) if product.brand else None,
                tags=list(product.tags or []),
                colors=list(product.colors or []),
                sizes=list(product.sizes or []),
                words=words_of(product),
                price=price,
                regular_price=int(product.regular_price),
                currency=product.currency,
                offer_price=percent_off(price, int(offer["percent_off"])) if offer else None,
                offer_starts=offer["starts_at"] if offer else None,
                offer_ends=offer["ends_at"] if offer else None,
                stock=int(product.stock),
                popularity=popularity,
                created=created,
                thumbnail_key=thumbnail,
            )
        )
    return out


# ---------- writing ----------
def is_listed(product: Product | None, shop: Shop | None) -> bool:
    """Whether shoppers may find ``product`` (active, in a visible shop)."""
    return product is not None and product.status == "ACTIVE" and shop is not None and shop.visible


def sync_product(product_id: str, product: Product | None, shop: Shop | None) -> int:
    """Make the product's postings match its current state; returns postings written.

    Idempotent and order-insensitive: it always writes what the product is *now*.
    """
    try:
        doc: PostingDoc | None = PostingDoc.get(doc_pk(product_id), "DOC", consistent_read=True)
    except PostingDoc.DoesNotExist:
        doc = None
    old = list(doc.partitions) if doc is not None else []
    postings = postings_of(product) if product is not None and is_listed(product, shop) else []
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


def bulk_post(products: Iterable[Product]) -> int:
    """Post many new, visible products at once (seeds and benchmarks; batch writes)."""
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


def _adjust_counts(deltas: dict[str, int]) -> None:
    for partition, delta in deltas.items():
        if delta:
            PartitionCount(pk=count_pk(partition)).update(actions=[PartitionCount.n.add(delta)])


# ---------- searching ----------
@dataclass(frozen=True)
class SearchQuery:
    """A shopper's search. Multi-valued facets match any of their values; words all."""

    text: str | None = None
    category: str | None = None
    subcategory: str | None = None
    brand: str | None = None
    shop_id: str | None = None
    tags: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    min_price: int | None = None
    max_price: int | None = None
    on_offer: bool = False
    sort: Sort = "newest"
    limit: int = 20

    def fingerprint(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if k != "limit"}
        raw = json.dumps(data, sort_keys=True, default=list).encode()
        return hashlib.sha256(raw).hexdigest()[:16]


@dataclass
class SearchPage:
    """One page of postings, the cursor for the next, and what it cost."""

    items: list[Posting] = field(default_factory=list)
    next_cursor: str | None = None
    driving_partition: str = ALL
    items_read: int = 0
    queries: int = 0


def _candidates(query: SearchQuery) -> list[str]:
    found: list[str] = []
    if query.shop_id:
        found.append(f"shop#{query.shop_id}")
    if query.subcategory and query.category:
        found.append(f"sub#{query.category}/{query.subcategory}")
    if query.category:
        found.append(f"cat#{query.category}")
    if query.brand:
        found.append(f"brand#{_norm(query.brand)}")
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


def _filters(query: SearchQuery, driving: str, now: datetime) -> Condition | None:
    conditions: list[Condition] = []
    if query.shop_id and driving != f"shop#{query.shop_id}":
        conditions.append(Posting.shop_id == query.shop_id)
    if query.category and driving != f"cat#{query.category}":
        conditions.append(Posting.category == query.category)
    if query.subcategory:
        conditions.append(Posting.subcategory == query.subcategory)
    if query.brand and driving != f"brand#{_norm(query.brand)}":
        conditions.append(Posting.brand_key == _norm(query.brand))
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
}


def search(
    query: SearchQuery, cursor: str | None = None, *, now: datetime | None = None
) -> SearchPage:
    """One page of visible products matching ``query``, by Query only (never Scan).

    Raises BadRequestError for a cursor of another query.
    """
    now = now or clock.now()
    settings = get_settings()
    fingerprint = query.fingerprint()
    start: dict[str, Any] | None = None
    decoded = decode_cursor(cursor)
    if decoded is not None:
        if decoded.get("q") != fingerprint or not isinstance(decoded.get("k"), dict):
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
            page.items.append(Posting.from_raw_data(raw))
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
        page.next_cursor = encode_cursor({"q": fingerprint, "d": driving, "k": key})
    elif start is not None:
        page.next_cursor = encode_cursor({"q": fingerprint, "d": driving, "k": start})
    return page


def related(product: Product, *, limit: int = 6) -> list[Posting]:
    """Visible products of the same category, most popular first (this one excluded)."""
    partition = (
        f"sub#{product.category}/{product.subcategory}"
        if product.subcategory
        else f"cat#{product.category}"
    )
    results = Posting.by_popularity.query(partition, scan_index_forward=False, limit=limit + 1)
    return [item for item in results if item.product_id != product.product_id][:limit]


def card_price(posting: Posting, now: datetime) -> tuple[int, bool]:
    """A posting's price right now and whether an offer gives it."""
    offer = (
        {"starts_at": posting.offer_starts, "ends_at": posting.offer_ends}
        if posting.offer_starts and posting.offer_ends
        else None
    )
    if offer_is_active(offer, now) and posting.offer_price is not None:
        return int(posting.offer_price), True
    return int(posting.price), False
