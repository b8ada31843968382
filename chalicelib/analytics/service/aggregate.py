"""Counting facts: the lake first, then the counters (once per batch), then the sketches.

The consumer hands over every batch of its SQS batch at once. Their counts are summed in
memory, so each counter item gets ONE update per consumer batch however many events hit
it (a hot product is one ``ADD``, not one per view). The updates go in transactions of at
most 100 items, each with a marker per batch it counts (``attribute_not_exists``): a
redelivered batch finds its marker and adds nothing, and a transaction either counts a
batch whole or not at all. Visitor sketches are merged after (adding a visitor twice
changes nothing), with an optimistic version check per day item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from chalicelib.analytics import repository, sketch
from chalicelib.analytics.domain import (
    PLATFORM,
    CounterKey,
    Fact,
    FactBatch,
    FactKind,
    Grain,
    Tally,
)
from chalicelib.analytics.repository import MAX_TRANSACTION_ITEMS
from chalicelib.analytics.service import facts as lines
from chalicelib.catalog import service as catalog
from chalicelib.core import clock
from chalicelib.core.observability import logger

MARKER_TTL_SECONDS = 15 * 86_400  # outlives SQS retention (14 days) of a redelivery
DUPLICATE_ROUNDS = 3
SKETCH_ATTEMPTS = 5
TERM_MAX = 100


@dataclass
class Recorded:
    """What became of each batch: counted now, counted before, or failed (by id)."""

    applied: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def normalize_term(query: str) -> str:
    return " ".join(query.lower().split())[:TERM_MAX]


def _scopes(fact: Fact) -> list[str]:
    if fact.kind is FactKind.CART_ABANDONED:  # the platform's fact and each shop's part
        return [fact.shop_id or PLATFORM]
    if fact.kind is FactKind.PAYMENT_FAILED:
        return [PLATFORM]
    return [fact.shop_id, PLATFORM] if fact.shop_id else [PLATFORM]


PRODUCT_COUNTERS: dict[FactKind, str] = {
    FactKind.PRODUCT_VIEW: "views",
    FactKind.ADD_TO_CART: "add_to_cart",
    FactKind.WISHLIST_ADD: "wishlist_adds",
}
DAY_COUNTERS: dict[FactKind, str] = {
    FactKind.PRODUCT_VIEW: "views",
    FactKind.SHOP_VISIT: "visits",
    FactKind.SEARCH: "searches",
    FactKind.ADD_TO_CART: "add_to_cart",
    FactKind.WISHLIST_ADD: "wishlist_adds",
    FactKind.WISHLIST_REMOVE: "wishlist_removes",
    FactKind.PAYMENT_FAILED: "payment_failures",
}


def tally(batches: Iterable[FactBatch]) -> tuple[Tally, dict[tuple[str, str], set[str]]]:
    """The counts the facts add, per counter item, and the visitors per ``(scope, day)``.

    Equal facts (a product viewed three times in a second) are counted together. Product
    facts whose product is unknown (no shop) count nowhere but in the lake.
    """
    counts: Tally = defaultdict(lambda: defaultdict(int))
    visitors: dict[tuple[str, str], set[str]] = defaultdict(set)
    for fact, times in Counter(fact for batch in batches for fact in batch.facts).items():
        if fact.product_id and not fact.shop_id:
            continue
        day, month = fact.day, fact.day[:7]
        for scope in _scopes(fact):
            day_item = counts[CounterKey(scope, Grain.DAY, day)]
            _count(fact, day_item, times)
            if fact.source == "client":
                day_item["events"] += times
                day_item[f"device:{fact.device.type}"] += times
                day_item[f"os:{fact.device.os}"] += times
                day_item[f"browser:{fact.device.browser}"] += times
                day_item[f"country:{fact.country}"] += times
                if fact.visitor:
                    visitors[(scope, day)].add(fact.visitor)
            if fact.kind is FactKind.SEARCH and fact.results == 0 and fact.query:
                day_item["searches_no_results"] += times
                term = normalize_term(fact.query)
                counts[CounterKey(scope, Grain.NO_RESULTS, day, term)]["count"] += times
            if fact.product_id:
                for key in (
                    CounterKey(scope, Grain.PRODUCT_DAY, day, fact.product_id),
                    CounterKey(scope, Grain.PRODUCT_MONTH, month, fact.product_id),
                ):
                    _count_product(fact, counts[key], times)
    return {key: dict(values) for key, values in counts.items()}, dict(visitors)


def _count(fact: Fact, item: dict[str, int], times: int) -> None:
    name = DAY_COUNTERS.get(fact.kind)
    if name:
        item[name] += times
    elif fact.kind is FactKind.ORDER_PAID:
        item["orders"] += times
        item["revenue"] += fact.amount * times
    elif fact.kind is FactKind.PURCHASE:
        item["units"] += fact.quantity * times
    elif fact.kind is FactKind.CART_ABANDONED:
        item["abandoned_carts"] += times
        item["abandoned_value"] += fact.amount * times


def _count_product(fact: Fact, item: dict[str, int], times: int) -> None:
    name = PRODUCT_COUNTERS.get(fact.kind)
    if name:
        item[name] += times
    elif fact.kind is FactKind.PURCHASE:
        item["units"] += fact.quantity * times
        item["revenue"] += fact.amount * times
        item["orders"] += times
    elif fact.kind is FactKind.CART_ABANDONED_LINE:
        item["abandoned_units"] += fact.quantity * times


def with_shops(batches: Sequence[FactBatch]) -> list[FactBatch]:
    """Client product facts with their product's shop (one catalog read for all)."""
    wanted = {
        fact.product_id
        for batch in batches
        for fact in batch.facts
        if fact.product_id and not fact.shop_id
    }
    if not wanted:
        return list(batches)
    shops = {product_id: card.shop_id for product_id, card in catalog.cards(wanted).items()}
    out = []
    for batch in batches:
        facts = tuple(
            _with_shop(fact, shops.get(fact.product_id))
            if fact.product_id and not fact.shop_id
            else fact
            for fact in batch.facts
        )
        out.append(FactBatch(batch.batch_id, batch.received_at, facts))
    return out


def _with_shop(fact: Fact, shop_id: str | None) -> Fact:
    return replace(fact, shop_id=shop_id) if shop_id else fact


def record(batches: Sequence[FactBatch]) -> Recorded:
    """Store each batch in the lake and add its counts once; see the module docstring.

    Never raises for one batch's failure: it is reported in ``failed`` (the consumer
    returns it for redelivery) and the others go on.
    """
    result = Recorded()
    ready: list[FactBatch] = []
    unique = list({batch.batch_id: batch for batch in batches}.values())  # SQS may repeat one
    for batch in with_shops(unique):
        try:
            lines.write_lake(batch)
            ready.append(batch)
        except Exception as error:  # noqa: BLE001 - reported per batch, retried by SQS
            logger.exception(
                "Could not write a batch to the lake", extra={"batch_id": batch.batch_id}
            )
            result.failed[batch.batch_id] = type(error).__name__
    applied: set[str] = set()
    duplicate: set[str] = set()
    for group in _groups(_units(ready)):
        try:
            done, seen = _apply(group)
        except Exception as error:  # noqa: BLE001 - the group's batches are redelivered
            logger.exception("Could not add a group's counts", extra={"units": len(group)})
            for unit in group:
                result.failed[unit.batch_id] = type(error).__name__
            continue
        applied |= {unit.batch_id for unit in done}
        duplicate |= {unit.batch_id for unit in seen}
    counted = [batch for batch in ready if batch.batch_id not in result.failed]
    result.applied = [batch.batch_id for batch in counted if batch.batch_id in applied]
    result.duplicates = [
        batch.batch_id
        for batch in counted
        if batch.batch_id in duplicate and batch.batch_id not in applied
    ]
    try:
        failed_sketches = _merge_sketches(counted)
    except Exception:  # noqa: BLE001 - counters are marked; a redelivery merges again
        logger.exception("Could not merge visitor sketches")
        failed_sketches = {batch.batch_id for batch in counted}
    for batch in counted:
        if batch.batch_id in failed_sketches:
            result.failed[batch.batch_id] = "SketchNotSaved"
    return result


@dataclass(frozen=True)
class _Unit:
    """What one marker guards: a whole batch, or a part of one that touches more items
    than a transaction holds (parts are cut the same way on every delivery)."""

    unit_id: str
    batch_id: str
    facts: int
    counts: Tally


def _units(batches: Sequence[FactBatch]) -> list[_Unit]:
    per_part = MAX_TRANSACTION_ITEMS - 1  # room for the part's marker
    units = []
    for batch in batches:
        counts, _visitors = tally([batch])
        keys = sorted(counts)
        if len(keys) <= per_part:
            units.append(_Unit(batch.batch_id, batch.batch_id, len(batch.facts), counts))
            continue
        for part, start in enumerate(range(0, len(keys), per_part)):
            chunk = {key: counts[key] for key in keys[start : start + per_part]}
            units.append(_Unit(f"{batch.batch_id}#{part}", batch.batch_id, len(chunk), chunk))
    return units


def _groups(units: Sequence[_Unit]) -> list[list[_Unit]]:
    """Units packed in order into groups whose markers and items fit a transaction."""
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    keys: set[CounterKey] = set()
    for unit in units:
        own = set(unit.counts)
        if current and len(current) + 1 + len(keys | own) > MAX_TRANSACTION_ITEMS:
            groups.append(current)
            current, keys = [], set()
        current.append(unit)
        keys |= own
    if current:
        groups.append(current)
    return groups


def _summed(units: Sequence[_Unit]) -> Tally:
    total: dict[CounterKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit in units:
        for key, values in unit.counts.items():
            for name, value in values.items():
                total[key][name] += value
    return {key: dict(values) for key, values in total.items()}


def _apply(group: list[_Unit]) -> tuple[list[_Unit], list[_Unit]]:
    """Add the group's counts in one transaction; units counted before are left out."""
    pending, duplicates = list(group), list[_Unit]()
    expires_at = clock.epoch(clock.now()) + MARKER_TTL_SECONDS
    for _ in range(DUPLICATE_ROUNDS):
        if not pending:
            break
        done = repository.get().add_counts(
            {unit.unit_id: unit.facts for unit in pending}, _summed(pending), expires_at=expires_at
        )
        if not done:
            return pending, duplicates
        duplicates += [unit for unit in pending if unit.unit_id in done]
        pending = [unit for unit in pending if unit.unit_id not in done]
    if pending:
        raise RuntimeError("batches kept being counted by someone else")
    return [], duplicates


def _merge_sketches(batches: Sequence[FactBatch]) -> set[str]:
    """Add each day's visitors to its sketch; the ids of batches whose sketch failed."""
    _counts, visitors = tally(batches)
    if not visitors:
        return set()
    repo = repository.get()
    failed: set[tuple[str, str]] = set()
    pending = dict(visitors)
    for _ in range(SKETCH_ATTEMPTS):
        current = repo.sketches(pending)
        conflicts = {}
        for key, ids in pending.items():
            stored, version = current[key]
            if not repo.save_sketch(
                key[0], key[1], sketch.add(stored, sorted(ids)), version=version
            ):
                conflicts[key] = ids
        pending = conflicts
        if not pending:
            break
    failed = set(pending)
    if not failed:
        return set()
    return {
        batch.batch_id
        for batch in batches
        if any((scope, fact.day) in failed for fact in batch.facts for scope in _scopes(fact))
    }


def seed(counts: Tally, visitors: dict[tuple[str, str], set[str]]) -> int:
    """Write demo history as whole items (``make dev`` only); returns the items written."""
    sketches = {key: sketch.add(None, sorted(ids)) for key, ids in visitors.items()}
    repository.get().put_counts(counts, sketches)
    return len(counts) + len(
        set(sketches) - {(k.scope, k.period) for k in counts if k.grain is Grain.DAY}
    )
