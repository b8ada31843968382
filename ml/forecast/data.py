"""The daily revenue series of an invoice-totals file
(``InvoiceNo,InvoiceDate,CustomerID,TotalPrice``).

Cancellations: an invoice whose number starts with ``C`` (UCI's cancellations) or whose
total is not positive is NOT sales of its day: it is dropped and counted. Daily revenue is
the sum of the day's positive, non-cancelled invoices (gross sales — the demand the
forecast is about); a cancellation is booked on the day the goods are returned, often
weeks after the sale, so netting it would move demand to the wrong day and can make a day
negative (no log, no sMAPE). The dev file has none; a later period may. A trading day is a
day with at least one sale (the calendar the issue takes as known).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from chalicelib.forecasting.model import Floats
from ml import retail_csv

TOTALS = "online_retail_invoice_totals.csv"
DEV_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "interactions"
DEV_FALLBACK = Path("/work/shared/data/interactions")


@dataclass(frozen=True)
class Series:
    days: list[date]
    values: Floats
    cancelled_invoices: int = 0
    cancelled_total: float = 0.0

    def before(self, day: date) -> Series:
        n = sum(1 for d in self.days if d < day)
        return Series(self.days[:n], self.values[:n])

    def between(self, start: date, end: date) -> Series:
        idx = [i for i, d in enumerate(self.days) if start <= d <= end]
        return Series([self.days[i] for i in idx], self.values[idx])

    def __add__(self, other: Series) -> Series:
        if self.days and other.days and other.days[0] <= self.days[-1]:
            other = other.between(
                self.days[-1].fromordinal(self.days[-1].toordinal() + 1), other.days[-1]
            )
        return Series(self.days + other.days, np.concatenate([self.values, other.values]))


def dev_dir() -> Path:
    return DEV_DIR if (DEV_DIR / TOTALS).is_file() else DEV_FALLBACK


def read_totals(directory: Path) -> Series:
    """The gross daily revenue of ``directory/online_retail_invoice_totals.csv``."""
    daily: dict[date, float] = defaultdict(float)
    cancelled, cancelled_total = 0, 0.0
    for row in retail_csv.rows(directory / TOTALS):
        try:
            total = float(row["TotalPrice"])
            day = retail_csv.timestamp(row["InvoiceDate"]).date()
        except ValueError:  # an unreadable row is no sale of any day
            continue
        if row["InvoiceNo"].upper().startswith("C") or total <= 0:
            cancelled += 1
            cancelled_total += total
            continue
        daily[day] += total
    days = sorted(daily)
    values = np.asarray([daily[d] for d in days], dtype=np.float64)
    return Series(days, values, cancelled, cancelled_total)
