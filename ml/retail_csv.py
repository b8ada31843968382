"""Reading the UCI Online Retail CSV files (lines and invoice totals) of any DATA directory.

An evaluation must not fail, or silently read nothing, on a file that is the same data
written another way: a byte-order mark (which would rename the first column), stray bytes
in another encoding, padded column names, or the dates as UCI's own export writes them
(``12/1/2010 8:26``, month first) instead of ISO.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

US_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y")


def rows(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a CSV file as dicts, column names trimmed, empty cells as ``""``."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        for row in csv.DictReader(handle):
            yield {(k or "").strip(): (v or "").strip() for k, v in row.items()}


def timestamp(text: str) -> datetime:
    """An invoice date: ISO (``2011-05-13 14:58:00``) or UCI's ``5/13/2011 14:58``."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        for layout in US_FORMATS:
            try:
                return datetime.strptime(text, layout)
            except ValueError:
                continue
    raise ValueError(f"not a date: {text!r}")
