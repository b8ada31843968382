"""Demo engagement for ``make dev``: the real UCI Online Retail purchase history mapped onto
the demo products, with plausible views, carts, wishlists, visits, abandoned carts and
searches around it, counted by the same code as live events (``aggregate.tally``) and
written as whole items (a few hundred batch writes, not one request per event).

The data is read from ``../shared/data/interactions/`` beside the project (never copied
into it). Its last day (2011-09-30) becomes yesterday; the last ``DAYS`` days are used.
Quantities are the history's (capped at ``MAX_UNITS``), prices the demo products'.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The clone's parent holds shared/ (CI, /work/main); a worktree under wt/ has it one higher.
DATA_CANDIDATES = [
    ROOT.parent / "shared" / "data" / "interactions",
    ROOT.parent.parent / "shared" / "data" / "interactions",
]
LINES_FILE = "online_retail_lines.csv"
DAYS = 30
MAX_UNITS = 10
COUNTRIES = {
    "United Kingdom": "GB",
    "Germany": "DE",
    "France": "FR",
    "EIRE": "IE",
    "Spain": "ES",
    "Netherlands": "NL",
    "Belgium": "BE",
    "Switzerland": "CH",
    "Australia": "AU",
    "Portugal": "PT",
    "Norway": "NO",
    "Finland": "FI",
    "Channel Islands": "JE",
    "Japan": "JP",
    "Cyprus": "CY",
    "Israel": "IL",
    "Poland": "PL",
    "Italy": "IT",
    "Sweden": "SE",
    "Denmark": "DK",
    "Hong Kong": "HK",
    "Austria": "AT",
    "Singapore": "SG",
    "Canada": "CA",
    "Malta": "MT",
    "Iceland": "IS",
    "Brazil": "BR",
    "United Arab Emirates": "AE",
    "Lithuania": "LT",
    "Greece": "GR",
}
DEVICES = [
    ("mobile", "iOS", "Mobile Safari"),
    ("mobile", "Android", "Chrome Mobile"),
    ("mobile", "Android", "Samsung Internet"),
    ("desktop", "Windows", "Chrome"),
    ("desktop", "Mac OS X", "Safari"),
    ("desktop", "Windows", "Edge"),
    ("tablet", "iOS", "Mobile Safari"),
]
EMPTY_SEARCHES = ["vintage tin sign", "gift wrap", "christmas lights", "birthday card", "lunchbox"]


@dataclass(frozen=True)
class Purchase:
    invoice: str
    stock_code: str
    quantity: int
    day: date
    at: datetime
    customer: str
    country: str


def data_dir() -> Path | None:
    """Where the interactions data is (None if no shared/ is beside the project)."""
    return next((path for path in DATA_CANDIDATES if (path / LINES_FILE).is_file()), None)


def read_history(folder: Path, *, today: date, days: int = DAYS) -> list[Purchase]:
    """The history's purchases (no cancellations), shifted so its last day is yesterday,
    from the last ``days`` days."""
    rows = []
    with (folder / LINES_FILE).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["InvoiceNo"].startswith("C") or int(row["Quantity"]) <= 0:
                continue
            rows.append(row)
    last = max(datetime.fromisoformat(row["InvoiceDate"]).date() for row in rows)
    shift = (today - timedelta(days=1)) - last
    out = []
    for row in rows:
        moment = datetime.fromisoformat(row["InvoiceDate"]) + shift
        if moment.date() <= today - timedelta(days=days):
            continue
        out.append(
            Purchase(
                invoice=row["InvoiceNo"],
                stock_code=row["StockCode"],
                quantity=min(int(row["Quantity"]), MAX_UNITS),
                day=moment.date(),
                at=moment.replace(tzinfo=UTC),
                customer=row["CustomerID"] or f"guest-{row['InvoiceNo']}",
                country=COUNTRIES.get(row["Country"], "unknown"),
            )
        )
    return out


def _pick(text: str, modulo: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % modulo


def engagement(history: list[Purchase], products: list[tuple[str, str, int]]) -> list[Any]:
    """Fact batches (one per invoice) for ``history`` mapped onto ``products``
    (``(product id, shop id, unit price)``): the purchases, the orders per shop, and the
    views, carts, wishlists, visits, abandoned carts and empty searches around them."""
    from chalicelib.analytics.domain import Device, DeviceType, Fact, FactBatch, FactKind

    by_frequency: dict[str, int] = defaultdict(int)
    for purchase in history:
        by_frequency[purchase.stock_code] += 1
    ranked = sorted(by_frequency, key=lambda code: (-by_frequency[code], code))
    product_of = {code: products[n % len(products)] for n, code in enumerate(ranked)}
    invoices: dict[str, list[Purchase]] = defaultdict(list)
    for purchase in history:
        invoices[purchase.invoice].append(purchase)
    batches = []
    for invoice, lines in sorted(invoices.items()):
        first = lines[0]
        visitor = f"uci-{first.customer}"
        kind, os_name, browser = DEVICES[_pick(visitor, len(DEVICES))]
        device = Device(DeviceType(kind), os_name, browser)
        client: dict[str, Any] = {
            "received_at": first.at,
            "source": "client",
            "visitor": visitor,
            "session_id": f"s-{invoice}",
            "device": device,
            "country": first.country,
        }
        facts: list[Fact] = []
        totals: dict[str, int] = defaultdict(int)
        for line in lines:
            product_id, shop_id, price = product_of[line.stock_code]
            early = line.at - timedelta(minutes=30)
            views = 4 + _pick(f"{invoice}{line.stock_code}v", 12)
            facts += [
                Fact(FactKind.PRODUCT_VIEW, early, product_id=product_id, shop_id=shop_id, **client)
            ] * views
            facts += [
                Fact(
                    FactKind.ADD_TO_CART,
                    early,
                    product_id=product_id,
                    shop_id=shop_id,
                    quantity=line.quantity,
                    **client,
                )
            ] * (1 + _pick(f"{invoice}{line.stock_code}c", 2))
            if _pick(f"{invoice}{line.stock_code}w", 4) == 0:
                facts.append(
                    Fact(
                        FactKind.WISHLIST_ADD,
                        early,
                        product_id=product_id,
                        shop_id=shop_id,
                        **client,
                    )
                )
            amount = price * line.quantity
            totals[shop_id] += amount
            facts.append(
                Fact(
                    FactKind.PURCHASE,
                    line.at,
                    line.at,
                    "order.paid",
                    visitor=visitor,
                    user_id=visitor,
                    product_id=product_id,
                    shop_id=shop_id,
                    quantity=line.quantity,
                    amount=amount,
                    order_id=invoice,
                )
            )
        for shop_id, total in sorted(totals.items()):
            facts.append(
                Fact(
                    FactKind.SHOP_VISIT, first.at - timedelta(minutes=40), shop_id=shop_id, **client
                )
            )
            facts.append(
                Fact(
                    FactKind.ORDER_PAID,
                    first.at,
                    first.at,
                    "order.paid",
                    visitor=visitor,
                    shop_id=shop_id,
                    quantity=1,
                    amount=total,
                    order_id=invoice,
                )
            )
        if _pick(f"{invoice}a", 4) == 0:  # a cart left behind on another day
            product_id, shop_id, price = product_of[lines[-1].stock_code]
            value = price * lines[-1].quantity
            later = first.at + timedelta(days=1)
            abandoned: dict[str, Any] = {
                "received_at": later,
                "source": "cart.abandoned",
                "visitor": visitor,
            }
            facts += [
                Fact(FactKind.CART_ABANDONED, later, amount=value, quantity=1, **abandoned),
                Fact(
                    FactKind.CART_ABANDONED,
                    later,
                    shop_id=shop_id,
                    amount=value,
                    quantity=1,
                    **abandoned,
                ),
                Fact(
                    FactKind.CART_ABANDONED_LINE,
                    later,
                    product_id=product_id,
                    shop_id=shop_id,
                    quantity=lines[-1].quantity,
                    amount=value,
                    **abandoned,
                ),
            ]
        if _pick(f"{invoice}s", 3) == 0:
            term = EMPTY_SEARCHES[_pick(invoice, len(EMPTY_SEARCHES))]
            facts.append(Fact(FactKind.SEARCH, first.at, query=term, results=0, **client))
        batches.append(FactBatch(f"demo-{invoice}", first.at, tuple(facts)))
    return batches


def seed(shop_ids: list[str], *, today: date | None = None) -> dict[str, Any]:
    """Seed the engagement of ``shop_ids``' products once (skipped when the platform
    already has figures, or when no shared data is beside the project)."""
    from chalicelib.analytics import repository
    from chalicelib.analytics.domain import PLATFORM
    from chalicelib.analytics.service import aggregate
    from chalicelib.catalog import service as catalog
    from chalicelib.catalog.service import products

    started = time.perf_counter()
    folder = data_dir()
    if folder is None:
        return {"skipped": "no ../shared/data/interactions beside the project"}
    today = today or datetime.now(UTC).date()
    start = (today - timedelta(days=DAYS)).isoformat()
    if repository.get().days(PLATFORM, start, today.isoformat()):
        return {"skipped": "already seeded"}
    catalog_products: list[tuple[str, str, int]] = []
    for shop_id in shop_ids:
        cards = catalog.cards(products.all_shop_product_ids(shop_id))
        catalog_products += [(pid, shop_id, cards[pid].price) for pid in sorted(cards)]
    if not catalog_products:
        return {"skipped": "no demo products"}
    history = read_history(folder, today=today)
    batches = engagement(history, catalog_products)
    counts, visitors = aggregate.tally(batches)
    items = aggregate.seed(counts, visitors)
    return {
        "days": DAYS,
        "invoices": len(batches),
        "facts": sum(len(batch.facts) for batch in batches),
        "items": items,
        "seconds": round(time.perf_counter() - started, 2),
    }
