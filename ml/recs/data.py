"""UCI Online Retail lines, cleaned as the issue's protocol fixes, and the protocol's split.

Clean: a CustomerID, InvoiceNo not starting with ``C``, Quantity > 0, UnitPrice > 0, and a
StockCode starting with 5 digits. Test users of a later period: customers with purchases in
both periods; their targets: items bought in the later period and never in training.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ml import retail_csv

LINES_FILE = "online_retail_lines.csv"
STOCK_CODE = re.compile(r"^\d{5}")


@dataclass(frozen=True)
class Line:
    customer: str
    item: str
    at: datetime
    quantity: int


def read_lines(path: Path) -> list[Line]:
    """The cleaned purchase lines of one ``online_retail_lines.csv`` (file or its folder)."""
    if path.is_dir():
        path = path / LINES_FILE
    out = []
    for row in retail_csv.rows(path):
        customer = row.get("CustomerID", "")
        if not customer or row["InvoiceNo"].startswith("C"):
            continue
        try:
            quantity, price = float(row["Quantity"]), float(row["UnitPrice"])
            at = retail_csv.timestamp(row["InvoiceDate"])
        except ValueError:  # a line that cannot be read is not a clean purchase
            continue
        if quantity <= 0 or price <= 0 or not STOCK_CODE.match(row["StockCode"]):
            continue
        out.append(Line(customer.removesuffix(".0"), row["StockCode"], at, int(quantity)))
    return out


def read_descriptions(path: Path) -> dict[str, str]:
    """Each stock code's description in a lines file (its most frequent non-empty one): the
    item texts of the model's content similarity."""
    if path.is_dir():
        path = path / LINES_FILE
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for row in retail_csv.rows(path):
        text = " ".join(row.get("Description", "").split())
        if text:
            seen[row["StockCode"]][text] += 1
    return {code: texts.most_common(1)[0][0] for code, texts in seen.items()}


def split_at(lines: list[Line], cut: datetime) -> tuple[list[Line], list[Line]]:
    """Lines before ``cut`` and from it on (the dev split: train before, evaluate after)."""
    return [line for line in lines if line.at < cut], [line for line in lines if line.at >= cut]


@dataclass(frozen=True)
class TestCase:
    user: str
    targets: frozenset[str]


def test_cases(train: list[Line], later: list[Line]) -> list[TestCase]:
    """The protocol's test users and targets (items bought later and never in training)."""
    bought: dict[str, set[str]] = defaultdict(set)
    for line in train:
        bought[line.customer].add(line.item)
    later_items: dict[str, set[str]] = defaultdict(set)
    for line in later:
        later_items[line.customer].add(line.item)
    cases = []
    for user in sorted(later_items):
        if user not in bought:
            continue
        targets = later_items[user] - bought[user]
        if targets:
            cases.append(TestCase(user, frozenset(targets)))
    return cases
