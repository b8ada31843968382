"""What the reader learns from the development receipts' labels: the receipt words (every
word of the ground-truth OCR lines, ``boxes/``, and of the labels' company and address,
counted; ``train_reader`` writes them into the reader model) and the known shops the eval
matches vendors against (``ml/bills/known_shops.txt``, standing in for the catalog's
shops). Held-out receipts never contribute.
Usage: python -m ml.bills.vocabulary DATA (writes known_shops.txt)
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ml.bills.split import is_held_out

SHOPS = Path(__file__).with_name("known_shops.txt")


def words_of(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Z]+", text.upper()) if len(w) >= 2]


def development_stems(data: Path) -> list[str]:
    return sorted(f.stem for f in (data / "labels").glob("*.json") if not is_held_out(f.stem))


def count_words(data: Path, stems: Iterable[str]) -> Counter[str]:
    """Words of these receipts' labels (company, address) and ground-truth OCR lines."""
    counts: Counter[str] = Counter()
    for stem in stems:
        fields = json.loads((data / "labels" / f"{stem}.json").read_text(encoding="utf-8"))
        for key in ("company", "address"):
            counts.update(words_of(fields.get(key, "")))
        boxes = data / "boxes" / f"{stem}.csv"
        if boxes.exists():
            with boxes.open(encoding="utf-8", errors="replace") as handle:
                for row in csv.reader(handle):
                    counts.update(words_of(",".join(row[8:])))
    return counts


def shops_of(data: Path, stems: Iterable[str]) -> list[str]:
    """These receipts' vendors (label company, upper case, whitespace collapsed)."""
    shops = set()
    for stem in stems:
        fields = json.loads((data / "labels" / f"{stem}.json").read_text(encoding="utf-8"))
        shops.add(" ".join(fields.get("company", "").upper().split()))
    return sorted(s for s in shops if s)


def main(argv: list[str]) -> int:
    data = Path(argv[0])
    stems = development_stems(data)
    shops = shops_of(data, stems)
    header = "# shops the catalog would know: the development part's vendors (eval only)"
    SHOPS.write_text("\n".join([header, *shops]) + "\n", encoding="utf-8")
    print(f"{len(shops)} known shops -> {SHOPS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
