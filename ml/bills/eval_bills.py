"""`make eval-bills DATA=<dir>`: how well bills are read, on any directory laid out like
`shared/data/receipts` (`images/NNN.jpg`, `labels/NNN.json` with company, date, total).

Compared SROIE task-3 style, exact match per field after normalisation:
- company: upper case, runs of whitespace collapsed to one space, trimmed (``company_key``);
  a second, looser column ignores spaces and punctuation altogether;
- date: both sides parsed to ISO YYYY-MM-DD (the label's ``24-MAR-2018``, ``20180304`` and
  ``25/12/2018`` day-first alike); an unparseable label never matches;
- total: both sides in minor units (``RM 3.90`` → 390).

Beside it, a baseline: the same OCR lines in the engine's order, no re-spacing, no rows,
company = first line, date = first date, total = the amount on the last line saying TOTAL
(else the largest amount). Seconds per receipt are the OCR plus the reading, as measured
when the receipt was first read (``BILLS_OCR_CACHE=<dir>`` keeps OCR output between runs,
keyed by the image's sha256; the eval never trains anything).

Usage: python -m ml.bills.eval_bills DATA [--known-shops FILE] [--json OUT]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from chalicelib.bills import reading
from chalicelib.bills.domain import Extraction, OcrLine
from chalicelib.bills.ocr import LocalReader, ocr_options, with_ink_gaps
from chalicelib.bills.service.checks import total_matches_items
from chalicelib.bills.service.verification import verdict_of
from ml.bills.features import IMAGE_SUFFIXES
from ml.bills.split import part

FIELDS = ("company", "date", "total")
STATUSES = ("VERIFIED", "NEEDS_REVIEW", "REJECTED")
KNOWN_SHOPS = Path(__file__).with_name("known_shops.txt")


def line_of(item: dict[str, Any]) -> OcrLine:
    """An ``OcrLine`` back from its cached JSON (``asdict``; older entries lack the ink
    gaps, a second engine's words have no character boxes)."""
    return OcrLine(
        text=item["text"],
        score=item["score"],
        box=tuple(item["box"]),
        char_edges=tuple(tuple(edge) for edge in item.get("char_edges", ())),
        ink_gaps=tuple(item.get("ink_gaps", ())),
    )


def cache_key(image: bytes, options: Mapping[str, Any] | None = None) -> str:
    """The cache entry's name: the image's sha256, and with OCR options (``LocalReader``'s)
    the sha256 of the image and the options, so readings with other options never mix
    (keep one cache directory per configuration all the same)."""
    canonical = ocr_options(options)
    if not canonical:
        return hashlib.sha256(image).hexdigest()
    return hashlib.sha256(image + json.dumps(canonical).encode()).hexdigest()


def ocr_lines(
    image: Path | bytes, cache: Path | None, options: Mapping[str, Any] | None = None
) -> tuple[list[OcrLine], float]:
    """The OCR lines of an image file (or its bytes) and the seconds the OCR took, through
    the cache when one is given; ``options``: the local engine's (``LocalReader``)."""
    data = image if isinstance(image, bytes) else image.read_bytes()
    entry = cache / f"{cache_key(data, options)}.json" if cache else None
    if entry is not None and entry.exists():
        stored = json.loads(entry.read_text())
        lines = [line_of(item) for item in stored["lines"]]
        seconds = float(stored["seconds"])
        if any(line.char_edges and not line.ink_gaps for line in lines):
            started = time.perf_counter()  # cached before the ink gaps were measured
            lines = with_ink_gaps(data, lines)
            seconds += time.perf_counter() - started
        return lines, seconds
    started = time.perf_counter()
    lines = LocalReader(options=options or {}).ocr(data)
    seconds = time.perf_counter() - started
    if entry is not None:
        store(entry, lines, seconds)
    return lines, seconds


def store(entry: Path, lines: list[OcrLine], seconds: float) -> None:
    """A cache entry: the lines and the seconds their OCR took (what ``ocr_lines`` reads)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(json.dumps({"seconds": seconds, "lines": [asdict(x) for x in lines]}))


def baseline(lines: list[OcrLine]) -> Extraction:
    """Plain OCR order and simple rules: what the issue calls the simple baseline."""
    texts = [line.text for line in lines]
    company = reading.company_key(texts[0]) if texts else None
    found_date = next((d for text in texts for d in reading.parse_dates(text)), None)
    total = None
    for index, text in enumerate(texts):
        if "TOTAL" in text.upper():
            amounts = reading.parse_amounts(text)
            if not amounts and index + 1 < len(texts):
                amounts = reading.parse_amounts(texts[index + 1])
            if amounts:
                total = abs(amounts[-1])
    if total is None:
        every = [a for text in texts for a in reading.parse_amounts(text) if a > 0]
        total = max(every) if every else None
    return Extraction(company=company, date=found_date, total=total, currency="MYR")


def truth(label: dict[str, Any]) -> dict[str, Any]:
    """The label's fields normalised (a number where a string is expected is read as text)."""

    def field(name: str) -> str:
        value = label.get(name)
        return "" if value is None else str(value)

    dates = reading.parse_dates(field("date"))
    return {
        "company": reading.company_key(field("company")),
        "date": dates[0] if dates else None,
        "total": reading.parse_total(field("total")),
    }


def squash(text: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


def score(found: Extraction, expected: dict[str, Any]) -> dict[str, bool]:
    return {
        "company": found.company is not None and found.company == expected["company"],
        "company_loose": bool(found.company)
        and squash(found.company) == squash(expected["company"]),
        "date": expected["date"] is not None and found.date == expected["date"],
        "total": expected["total"] is not None and found.total == expected["total"],
    }


def items_score(found: Extraction, expected: dict[str, Any]) -> dict[str, Any]:
    """The line items read, measured without item labels: whether they add up to the
    labelled total (within 1 % or 10 minor units) and whether the ``total_matches_items``
    check fails on them (on a genuine receipt, a needless review)."""
    total = expected["total"]
    added = sum(item.amount for item in found.line_items)
    check = total_matches_items(found)
    return {
        "count": len(found.line_items),
        "adds_up": bool(found.line_items)
        and bool(total)
        and abs(added - total) <= max(10, total / 100),
        "check_fails": check is not None and not check.passed,
    }


def items_line(rows: list[dict[str, Any]], title: str) -> str:
    if not rows:
        return ""
    share = {
        key: sum(bool(r["items"][key]) for r in rows) / len(rows)
        for key in ("count", "adds_up", "check_fails")
    }
    return (
        f"  {title:<34} read {share['count']:.3f}  add up to the total {share['adds_up']:.3f}  "
        f"check fails {share['check_fails']:.3f}"
    )


def decisions_line(rows: list[dict[str, Any]], title: str) -> str:
    decided = [r["decision"] for r in rows if r.get("decision")]
    if not decided:
        return ""
    statuses = Counter(d["status"] for d in decided)
    failed = Counter(name for d in decided for name in d["failed"])
    return (
        f"  {title:<34} "
        + "  ".join(f"{status} {statuses[status]}" for status in STATUSES)
        + f"  (of {len(decided)}); checks failed: "
        + (", ".join(f"{name} {n}" for name, n in failed.most_common()) or "none")
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Decider:
    """The pipeline's decision on a bill as it is (``verification.verdict_of``: the shipped
    authenticity models on the image, no shop named, no duplicate, the default settings,
    ``today``)."""

    def __init__(self, today: date) -> None:
        from chalicelib.bills import authenticity  # the ML layer's packages
        from chalicelib.core.settings import get_settings

        settings = get_settings()
        self.model = authenticity.shipped(settings.bills_model_version)
        blind = settings.bills_reject_model_version
        self.second = authenticity.shipped(blind) if blind else None
        self.score = authenticity.score
        self.today = today

    def __call__(self, image: bytes, found: Extraction) -> dict[str, Any]:
        scored = self.score(self.model, image, self.second)
        verdict = verdict_of(
            found,
            scored,
            float(self.model.card["threshold"]),
            duplicate_of=None,
            shop_name=None,
            today=self.today,
        )
        failed = [check.name for check in verdict.checks if not check.passed]
        return {"status": verdict.status.value, "failed": failed}


def evaluate(
    data: Path,
    known_shops: list[str],
    cache: Path | None,
    options: Mapping[str, Any] | None = None,
    decide: Decider | None = None,
) -> dict[str, Any]:
    """Every labelled receipt of DATA read with the shipped reader model; the local engine
    with ``options`` (default: the shipped model's, ``ReaderModel.ocr``); with ``decide``,
    the pipeline's decision on each too (the extraction without known shops, as the
    pipeline reads a post that names no shop)."""
    if options is None:
        options = dict(reading.default_model().ocr)
    images = sorted(
        path for path in (data / "images").iterdir() if path.suffix.lower() in IMAGE_SUFFIXES
    )
    known_keys = {reading.company_key(shop) for shop in known_shops}
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, image in enumerate(images, 1):
        labels = data / "labels"  # SROIE's own key files are JSON named ``.txt``
        named = (labels / f"{image.stem}.json", labels / f"{image.stem}.txt")
        label_file = next((path for path in named if path.is_file()), None)
        if label_file is None:
            continue
        try:
            label = json.loads(label_file.read_text(encoding="utf-8-sig", errors="replace"))
        except ValueError as error:
            problems.append(f"{label_file.name}: not JSON ({error}); receipt left out")
            continue
        expected = truth(label)
        try:
            lines, seconds = ocr_lines(image, cache, options)
        except Exception as error:  # noqa: BLE001 - an unreadable image is read wrong, not fatal
            problems.append(f"{image.name}: OCR failed ({type(error).__name__}: {error})")
            lines, seconds = [], 0.0
        started = time.perf_counter()
        ours = reading.read(lines, known_shops=known_shops, engine="rapidocr")
        plain = reading.read(lines, engine="rapidocr")
        seconds += time.perf_counter() - started
        decision = decide(image.read_bytes(), plain) if decide is not None and lines else None
        rows.append(
            {
                "decision": decision,
                "stem": image.stem,
                "part": part(image.stem),
                "seconds": seconds,
                "ours": score(ours, expected),
                "no_shops": score(plain, expected),
                "baseline": score(baseline(lines), expected),
                "found": {"company": ours.company, "date": ours.date, "total": ours.total},
                "items": items_score(ours, expected),
                "found_no_shops": {"company": plain.company},
                "expected": expected,
                "seen": expected["company"] in known_keys,
            }
        )
        print(f"\r{number}/{len(images)} receipts read", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {"rows": rows, "problems": problems}


def table(rows: list[dict[str, Any]], title: str) -> str:
    if not rows:
        return ""
    out = [f"{title} ({len(rows)} receipts)"]
    out.append(f"  {'method':<34}{'company':>9}{'date':>8}{'total':>8}{'mean':>8}{'co-loose':>10}")
    methods = (
        ("ours", "ours (rapidocr + rules + shops)"),
        ("no_shops", "ours without known shops"),
        ("baseline", "baseline (plain rapidocr + simple)"),
    )
    for key, name in methods:
        acc = {f: sum(r[key][f] for r in rows) / len(rows) for f in (*FIELDS, "company_loose")}
        mean = sum(acc[f] for f in FIELDS) / len(FIELDS)
        out.append(
            f"  {name:<34}{acc['company']:>9.3f}{acc['date']:>8.3f}{acc['total']:>8.3f}"
            f"{mean:>8.3f}{acc['company_loose']:>10.3f}"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--known-shops", type=Path, default=KNOWN_SHOPS)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--part", choices=("all", "development", "held-out"), default="all")
    parser.add_argument(
        "--ocr-options",
        type=json.loads,
        help="the local engine's options as JSON, e.g. '{\"use_cls\": false}' (default: the "
        "shipped reader model's); give each configuration its own BILLS_OCR_CACHE",
    )
    parser.add_argument(
        "--decisions",
        action="store_true",
        help="also the pipeline's decision on each receipt as it is (the shipped authenticity "
        "models, no shop, no duplicate, today; about 0.6 s more per receipt)",
    )
    args = parser.parse_args(argv)
    cache_dir = os.environ.get("BILLS_OCR_CACHE")
    known = (
        [
            line.strip()
            for line in args.known_shops.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        if args.known_shops.exists()
        else []
    )
    today = date.today()
    decide = Decider(today) if args.decisions else None
    cache = Path(cache_dir) if cache_dir else None
    result = evaluate(args.data, known, cache, args.ocr_options, decide)
    rows = result["rows"]
    if args.part != "all":
        rows = [r for r in rows if r["part"] == args.part]
    print(f"DATA={args.data}  known shops: {len(known)} (from {args.known_shops.name})")
    shipped = reading.default_model()
    options = args.ocr_options if args.ocr_options is not None else dict(shipped.ocr)
    print(f"reader {shipped.version}, OCR options {options or 'rapidocr defaults'}")
    for problem in result["problems"]:
        print(f"note: {problem}")
    print("exact match after normalisation (company: upper case + whitespace collapsed;")
    print("date: ISO; total: minor units); co-loose = company ignoring spaces/punctuation")
    print(table(rows, "all receipts in DATA"))
    held = [r for r in rows if r["part"] == "held-out"]
    parts = [("all receipts in DATA", rows)]
    if held and len(held) != len(rows):
        development = [r for r in rows if r["part"] != "held-out"]
        parts += [("held-out part", held), ("development part", development)]
        print(table(held, "of which held-out part (hash split, never tuned on)"))
        print(table(development, "of which development part"))
    for name, flag in (("seen", True), ("unseen", False)):
        part_rows = [r for r in rows if r["seen"] is flag]
        print(table(part_rows, f"of all: vendor {name} among the known shops"))
    print("line items (no item labels: read = at least one; add up = to the labelled total")
    print("within 1 %; check fails = total_matches_items fails, a needless review if genuine)")
    for title, part_rows in parts:
        print(items_line(part_rows, title))
    if decide is not None:
        print(f"the pipeline's decision on each receipt as it is (no shop named, today {today})")
        for title, part_rows in parts:
            print(decisions_line(part_rows, title))
    seconds = [r["seconds"] for r in rows]
    if seconds:
        print(
            f"seconds per receipt (OCR + reading): median {statistics.median(seconds):.2f}, "
            f"p95 {percentile(seconds, 0.95):.2f}, max {max(seconds):.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
