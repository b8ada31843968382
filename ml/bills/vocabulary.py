"""Build the word list the reader re-spaces run-together OCR words with
(``chalicelib/bills/words.txt``) and the known shops the eval matches vendors against
(``ml/bills/known_shops.txt``, standing in for the catalog's shops): every word of the
development part's ground-truth OCR lines (``boxes/``) and labels (company, address),
with its count. Held-out receipts never contribute. Usage: python -m ml.bills.vocabulary DATA
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

from ml.bills.split import is_held_out

OUT = Path(__file__).resolve().parents[2] / "chalicelib" / "bills" / "words.txt"
SHOPS = Path(__file__).with_name("known_shops.txt")


def words_of(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Z]+", text.upper()) if len(w) >= 2]


def main(argv: list[str]) -> int:
    data = Path(argv[0])
    counts: Counter[str] = Counter()
    shops: set[str] = set()
    for label in sorted((data / "labels").glob("*.json")):
        if is_held_out(label.stem):
            continue
        fields = json.loads(label.read_text(encoding="utf-8"))
        shops.add(" ".join(fields.get("company", "").upper().split()))
        for key in ("company", "address"):
            counts.update(words_of(fields.get(key, "")))
        boxes = data / "boxes" / f"{label.stem}.csv"
        if boxes.exists():
            with boxes.open(encoding="utf-8", errors="replace") as handle:
                for row in csv.reader(handle):
                    counts.update(words_of(",".join(row[8:])))
    lines = ["# word count: the development part's receipts (ml/bills/vocabulary.py)"]
    lines += [f"{word} {count}" for word, count in sorted(counts.items())]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(counts)} words -> {OUT}")
    header = "# shops the catalog would know: the development part's vendors (eval only)"
    SHOPS.write_text("\n".join([header, *sorted(s for s in shops if s)]) + "\n", encoding="utf-8")
    print(f"{len(shops)} known shops -> {SHOPS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
