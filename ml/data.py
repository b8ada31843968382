"""The labelled reviews: the four files of ``../shared/data/reviews`` read as one table.

Every row is ``(text, label, source)`` with the label in negative / neutral / positive
(ratings 1-2 negative, 3 neutral, 4-5 positive; the 0/1 files are negative / positive).
The split is fixed by hashing the normalised text, so the same rows are always held out
(and a duplicated text never lands on both sides).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

FILES = (
    "amazon_alexa.tsv",
    "amazon_cells_labelled.txt",
    "yelp_labelled.txt",
    "womens_clothing_ecommerce_reviews_first1000.csv",
)
LABELS = ("negative", "neutral", "positive")
TEST_PERCENT = 20  # held out: never trained on, never tuned on
VALIDATION_PERCENT = 15  # of the rest: where the training picks its neutral weight


class Part(StrEnum):
    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    source: str
    rating: int | None = None  # the 1-5 stars where the file has them (alexa, clothing)


def label_of_rating(rating: int) -> str:
    """The sentiment a 1-5 rating stands for."""
    if rating <= 2:
        return "negative"
    if rating == 3:
        return "neutral"
    return "positive"


def stars_of(rating: str) -> int | None:
    """A 1-5 star rating as written (``4``, ``4.0``); anything else is no rating."""
    try:
        value = float(rating)
    except ValueError:
        return None
    return int(value) if value.is_integer() and 1 <= value <= 5 else None


def normalise(text: str) -> str:
    return " ".join(text.split())


def part_of(text: str) -> Part:
    """The fixed part of a text: a hash of its normalised, lower-cased words."""
    digest = hashlib.sha256(normalise(text).lower().encode()).digest()
    bucket = int.from_bytes(digest[:4], "big") % 100
    if bucket < TEST_PERCENT:
        return Part.TEST
    if bucket < TEST_PERCENT + VALIDATION_PERCENT:
        return Part.VALIDATION
    return Part.TRAIN


# A byte-order mark would rename a file's first column (``\ufeffrating``) and every row
# would be dropped unseen; a stray byte in another encoding must not stop an evaluation.
ENCODING = "utf-8-sig"


def _alexa(path: Path) -> list[Row]:
    rows = []
    with path.open(newline="", encoding=ENCODING, errors="replace") as handle:
        for record in csv.DictReader(handle, delimiter="\t"):
            text = normalise(record.get("verified_reviews") or "")
            rating = (record.get("rating") or "").strip()
            stars = stars_of(rating)
            if text and stars is not None:
                rows.append(Row(text, label_of_rating(stars), path.name, stars))
    return rows


def _sentences(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding=ENCODING, errors="replace").splitlines():
        text, _, flag = line.rpartition("\t")
        text = normalise(text)
        if text and flag.strip() in ("0", "1"):
            label = "positive" if flag.strip() == "1" else "negative"
            rows.append(Row(text, label, path.name))
    return rows


def _clothing(path: Path) -> list[Row]:
    rows = []
    with path.open(newline="", encoding=ENCODING, errors="replace") as handle:
        for record in csv.DictReader(handle):
            title = normalise(record.get("Title") or "")
            body = normalise(record.get("Review Text") or "")
            rating = (record.get("Rating") or "").strip()
            text = review_text(title, body)
            stars = stars_of(rating)
            if text and stars is not None:
                rows.append(Row(text, label_of_rating(stars), path.name, stars))
    return rows


def review_text(title: str, body: str) -> str:
    """What the model reads of a review: its title and text (the runtime does the same)."""
    title, body = normalise(title), normalise(body)
    if title and body:
        return f"{title}. {body}"
    return title or body


READERS = {
    "amazon_alexa.tsv": _alexa,
    "amazon_cells_labelled.txt": _sentences,
    "yelp_labelled.txt": _sentences,
    "womens_clothing_ecommerce_reviews_first1000.csv": _clothing,
}


def default_directory() -> Path:
    """``../shared/data/reviews`` beside the checkout (or beside its worktree folder)."""
    root = Path(__file__).resolve().parent.parent
    for base in (root.parent, root.parent.parent):
        candidate = base / "shared" / "data" / "reviews"
        if candidate.is_dir():
            return candidate
    return root.parent / "shared" / "data" / "reviews"


def missing_files(directory: Path) -> list[str]:
    return [name for name in FILES if not (directory / name).is_file()]


def load(directory: Path, *, partial: bool = False) -> list[Row]:
    """Every labelled row of the four files in ``directory`` (blank texts skipped);
    ``partial``: of those of the four that are there (an evaluation of fewer files)."""
    missing = missing_files(directory)
    if missing and (not partial or len(missing) == len(FILES)):
        raise FileNotFoundError(f"{directory} lacks {', '.join(missing)}")
    rows: list[Row] = []
    for name in FILES:
        if name not in missing:
            rows.extend(READERS[name](directory / name))
    return rows


def split(rows: list[Row]) -> dict[Part, list[Row]]:
    parts: dict[Part, list[Row]] = {part: [] for part in Part}
    for row in rows:
        parts[part_of(row.text)].append(row)
    return parts
