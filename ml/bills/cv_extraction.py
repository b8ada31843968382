"""Cross-validation of the bill reader on the DEVELOPMENT part only (never the held-out).

``python -m ml.bills.cv_extraction DATA [--folds 5]`` (``make cv-bills``): the development
receipts are cut into folds (by a hash of the stem); for each fold, everything the reader
learns from labelled receipts — the receipt words, the gap model, the known vendors — is
built from the OTHER folds only (the general word list is not learned from receipts), then
the fold is read and scored like ``eval_bills`` does. Reported per field, overall and split
by whether the receipt's vendor was among the other folds' vendors (seen) or not (unseen:
a shop the reader never met).
OCR output is cached on disk (``BILLS_OCR_CACHE``, default ``/tmp/ocr-cache``): the first
run reads every development image once.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import statistics
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from chalicelib.bills import reading, spacing
from chalicelib.bills.domain import OcrLine
from ml.bills import eval_bills, second_engine
from ml.bills.vocabulary import count_words, development_stems, shops_of

FIELDS = ("company", "date", "total")


def fold_of(stem: str, folds: int) -> int:
    return hashlib.sha256(f"bills-cv:{stem}".encode()).digest()[0] % folds


def vendor_group(company: str) -> str:
    """A receipt's vendor for grouped folds: the first five letters or digits of its label's
    company (``MR. D.I.Y. (KUCHAI) SDN BHD`` and ``MR.D.I.Y(M)SDN BHD`` are one vendor;
    two vendors sharing a first word, ``RESTORAN ...``, go together too: the grouping errs
    on the side of keeping a vendor's look-alikes out of its test fold)."""
    return re.sub(r"[^A-Z0-9]", "", company.upper())[:5]


def vendor_fold_of(data: Path, stem: str, folds: int) -> int:
    label = json.loads((data / "labels" / f"{stem}.json").read_text(encoding="utf-8"))
    group = vendor_group(label.get("company", ""))
    return hashlib.sha256(f"bills-cv-vendor:{group}".encode()).digest()[0] % folds


def box_lines(data: Path, stem: str) -> list[OcrLine]:
    """The receipt's ground-truth OCR lines (``boxes/``: four corners and the text), as
    another engine would give them: spaced words, no character boxes (Textract's lines
    reach the same rules this way)."""
    out = []
    with (data / "boxes" / f"{stem}.csv").open(encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if len(row) < 9:
                continue
            xs, ys = [float(v) for v in row[0:8:2]], [float(v) for v in row[1:8:2]]
            text = ",".join(row[8:]).strip()
            if text:
                out.append(OcrLine(text=text, score=1.0, box=(min(xs), min(ys), max(xs), max(ys))))
    return out


# Re-photographed copies of the development receipts (``--reread``): each image scaled,
# turned and re-saved, then read by the OCR again. The rules were written by reading the
# OCR's output of the originals; a new reading of the same paper brings new misreadings
# (``C0.``, ``SDN EHD``, words run together elsewhere), as a new receipt does.
REREADS = {"a": (0.85, 0.0, 90), "b": (1.1, 1.0, 80), "c": (0.75, -0.7, 75)}  # scale, °, JPEG q


def reread(image: bytes, scale: float, degrees: float, quality: int) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(image)) as opened:
        rgb = opened.convert("RGB")
        size = (round(rgb.width * scale), round(rgb.height * scale))
        out = rgb.resize(size, Image.Resampling.BICUBIC)
        if degrees:
            out = out.rotate(
                degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255)
            )
        buffer = io.BytesIO()
        out.save(buffer, "JPEG", quality=quality)
        return buffer.getvalue()


def cached(
    data: Path,
    stem: str,
    cache: Path,
    reread_as: str = "",
    options: Mapping[str, Any] | None = None,
) -> bool:
    """Whether the OCR of the receipt (or of its re-read copy) is in the cache."""
    image = (data / "images" / f"{stem}.jpg").read_bytes()
    if reread_as:
        image = reread(image, *REREADS[reread_as])
    return (cache / f"{eval_bills.cache_key(image, options)}.json").exists()


def letter_cost(line: OcrLine, model: reading.ReaderModel) -> float | None:
    """The lexicon's cost per letter of the line's words once re-spaced by ``model`` (its
    runs of two or more letters, upper-cased; ``None`` without any)."""
    words = re.findall(r"[A-Z]{2,}", reading.respace(line, model).upper())
    letters = sum(len(word) for word in words)
    if not letters:
        return None
    return sum(model.lexicon.piece(word) for word in words) / letters


def choose_lines(
    lines: list[OcrLine], others: list[OcrLine], model: reading.ReaderModel
) -> list[OcrLine]:
    """Each line, or another engine's reading of the same box (within 1 pixel) where that
    one's words cost the lexicon less per letter (session 12's L6; a tie: the line)."""
    out = []
    for line in lines:
        twin = next(
            (
                other
                for other in others
                if max(abs(a - b) for a, b in zip(other.box, line.box, strict=True)) <= 1.0
            ),
            None,
        )
        ours = letter_cost(line, model)
        theirs = letter_cost(twin, model) if twin is not None else None
        out.append(
            twin if twin and ours is not None and theirs is not None and theirs < ours else line
        )
    return out


def run(
    data: Path,
    folds: int,
    cache: Path,
    *,
    verbose: bool = False,
    cached_only: bool = False,
    by_vendor: bool = False,
    rules: int | None = None,
    boxes: bool = False,
    reread_as: str = "",
    engine: str = "rapidocr",
    second: bool = False,
    ocr_options: Mapping[str, Any] | None = None,
    second_options: Mapping[str, Any] | None = None,
    second_cache: Path | None = None,
    choose: bool = False,
) -> list[dict[str, Any]]:
    """The rows of the CV. ``engine="tesseract"`` reads tesseract's own lines (words spaced
    by it, no character boxes) instead of the local engine's; ``second`` gives each local
    engine line tesseract's words on it (``OcrLine.second``: read by rules 4); ``ocr_options``:
    the local engine's (``ocr.LocalReader``; default rapidocr's own). Each row carries the
    seconds its OCR took when the receipt was first read."""
    stems = development_stems(data)
    if cached_only:
        stems = [stem for stem in stems if cached(data, stem, cache, reread_as, ocr_options)]
    lines = {}
    others: dict[str, list[list[OcrLine]]] = {}
    for number, stem in enumerate(stems, 1):
        image = (data / "images" / f"{stem}.jpg").read_bytes()
        if reread_as:
            image = reread(image, *REREADS[reread_as])
        lines[stem] = eval_bills.ocr_lines(image, cache, ocr_options)
        if choose or (second and second_options is not None):
            found = eval_bills.ocr_lines(image, second_cache or cache, second_options)[0]
            others[stem] = [found if choose else second_engine.words_of(found)]
        elif engine == "tesseract" or second:
            others[stem] = second_engine.cached_words(image)[0]
        print(f"\r{number}/{len(stems)} development receipts read", end="", file=sys.stderr)
    print(file=sys.stderr)
    from ml.bills.train_reader import fit_gaps  # scikit-learn: the training packages only

    general = reading.general_words(reading.SHIPPED / reading.VERSION)
    rows: list[dict[str, Any]] = []
    fold_of_stem = {
        stem: vendor_fold_of(data, stem, folds) if by_vendor else fold_of(stem, folds)
        for stem in stems
    }
    for fold in range(folds):
        train = [s for s in stems if fold_of_stem[s] != fold]
        test = [s for s in stems if fold_of_stem[s] == fold]
        model = replace(
            reading.default_model(),
            lexicon=spacing.Lexicon.of(count_words(data, train), general, **reading.LEXICON),
            gaps=fit_gaps(data, {stem: lines[stem][0] for stem in train}),
            gap_weight=reading.GAP_WEIGHT,
            plain_gap_weight=reading.PLAIN_GAP_WEIGHT,
        )
        if rules is not None:
            model = replace(model, rules=rules)
        shops = shops_of(data, train)
        known = set(shops)
        for stem in test:
            label = json.loads((data / "labels" / f"{stem}.json").read_text(encoding="utf-8"))
            expected = eval_bills.truth(label)
            ocr = box_lines(data, stem) if boxes else lines[stem][0]
            if choose:
                ocr = choose_lines(ocr, others[stem][0], model)
            elif engine == "tesseract":
                ocr = second_engine.lines_of(others[stem])
            elif second:
                ocr = second_engine.with_second(ocr, [w for ws in others[stem] for w in ws])
            ours = reading.read(ocr, known_shops=shops, model=model, engine="rapidocr")
            plain = reading.read(ocr, model=model, engine="rapidocr")
            row: dict[str, Any] = {
                "stem": stem,
                "fold": fold,
                "vendor": vendor_group(label.get("company", "")),
                "seen": expected["company"] in known,
                "seconds": lines[stem][1],
                "ours": eval_bills.score(ours, expected),
                "no_shops": eval_bills.score(plain, expected),
                "baseline": eval_bills.score(eval_bills.baseline(ocr), expected),
            }
            rows.append(row)
            if verbose:
                for field in FIELDS:
                    if not row["ours"][field]:
                        found = getattr(ours, field)
                        print(f"{stem} {field:<8} {found!r:<45} want {expected[field]!r}")
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy per field and method, overall and for seen / unseen vendors."""
    out: dict[str, Any] = {}
    for name, part in (
        ("all", rows),
        ("seen_vendor", [r for r in rows if r["seen"]]),
        ("unseen_vendor", [r for r in rows if not r["seen"]]),
    ):
        out[name] = {"receipts": len(part)}
        for key in ("ours", "no_shops", "baseline"):
            acc = {f: round(sum(r[key][f] for r in part) / max(len(part), 1), 4) for f in FIELDS}
            acc["mean"] = round(sum(acc.values()) / 3, 4)
            out[name][key] = acc
    if rows:
        out["all"]["vendor_weighted"] = {f: round(v, 4) for f, v in by_vendor_weight(rows).items()}
        folds = sorted({r["fold"] for r in rows})
        out["all"]["mean_per_fold"] = [
            round(mean_of([r for r in rows if r["fold"] == fold]), 4) for fold in folds
        ]
    return out


def mean_of(rows: list[dict[str, Any]], key: str = "ours") -> float:
    return float(sum(r[key][f] for r in rows for f in FIELDS)) / (3 * max(len(rows), 1))


def by_vendor_weight(rows: list[dict[str, Any]], key: str = "ours") -> dict[str, float]:
    """Accuracy per field with every vendor weighing the same (the mean of its receipts):
    a chain with a dozen receipts in the development part (MR. D.I.Y.) counts once, as in a
    private set of many shops."""
    vendors: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        vendors.setdefault(row["vendor"], []).append(row)
    acc = {
        f: sum(sum(r[key][f] for r in group) / len(group) for group in vendors.values())
        / max(len(vendors), 1)
        for f in FIELDS
    }
    acc["mean"] = sum(acc[f] for f in FIELDS) / 3
    return acc


def noise(rows: list[dict[str, Any]], key: str = "ours") -> str:
    """The mean per fold and its spread (standard deviation over folds)."""
    folds = sorted({r["fold"] for r in rows})
    means = [mean_of([r for r in rows if r["fold"] == fold], key) for fold in folds]
    average = sum(means) / len(means)
    spread = (sum((m - average) ** 2 for m in means) / max(len(means) - 1, 1)) ** 0.5
    return " ".join(f"{m:.3f}" for m in means) + f"  (sd {spread:.3f})"


def table(rows: list[dict[str, Any]], title: str) -> str:
    out = [f"{title} ({len(rows)} receipts)"]
    if not rows:
        return out[0]
    out.append(f"  {'method':<30}{'company':>9}{'date':>8}{'total':>8}{'mean':>8}{'co-loose':>10}")
    for key in ("ours", "no_shops", "baseline"):
        acc = {f: sum(r[key][f] for r in rows) / len(rows) for f in (*FIELDS, "company_loose")}
        mean = sum(acc[f] for f in FIELDS) / 3
        out.append(
            f"  {key:<30}{acc['company']:>9.3f}{acc['date']:>8.3f}{acc['total']:>8.3f}"
            f"{mean:>8.3f}{acc['company_loose']:>10.3f}"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    parser.add_argument("--cached-only", action="store_true", help="skip receipts not read yet")
    parser.add_argument(
        "--by-vendor",
        action="store_true",
        help="folds by vendor: every receipt of a vendor in one fold (unseen-vendor CV)",
    )
    parser.add_argument(
        "--boxes", action="store_true", help="read the ground-truth OCR lines (boxes/) instead"
    )
    parser.add_argument(
        "--reread",
        choices=sorted(REREADS),
        help="read re-photographed copies of the receipts (scaled, turned, re-saved; OCR again)",
    )
    parser.add_argument("--rules", type=int, help="the reader's rules (default: the model's)")
    parser.add_argument(
        "--engine",
        choices=("rapidocr", "tesseract"),
        default="rapidocr",
        help="whose lines to read: the local engine's or tesseract's (ml/bills/second_engine)",
    )
    parser.add_argument(
        "--second",
        action="store_true",
        help="give each local engine line tesseract's words on it (read by --rules 4)",
    )
    parser.add_argument(
        "--ocr-options",
        type=json.loads,
        help="the local engine's options as JSON, e.g. '{\"use_cls\": false}' (ocr.LocalReader; "
        "default rapidocr's own); give each configuration its own BILLS_OCR_CACHE",
    )
    parser.add_argument(
        "--second-ocr-options",
        type=json.loads,
        help="with --second: the second engine is the local engine with these options (its "
        "words cut at its spaces; cached in BILLS_SECOND_OCR_CACHE) instead of tesseract",
    )
    parser.add_argument(
        "--choose",
        action="store_true",
        help="with --second-ocr-options: per line, that engine's reading of the same box where "
        "its words cost the lexicon less per letter (session 12's L6)",
    )
    parser.add_argument("--json", type=Path, help="write the rows (per receipt) here")
    args = parser.parse_args(argv)
    cache = Path(os.environ.get("BILLS_OCR_CACHE", "/tmp/ocr-cache"))  # noqa: S108
    rows = run(
        args.data,
        args.folds,
        cache,
        verbose=args.verbose,
        cached_only=args.cached_only,
        by_vendor=args.by_vendor,
        rules=args.rules,
        boxes=args.boxes,
        reread_as=args.reread or "",
        engine=args.engine,
        second=args.second,
        ocr_options=args.ocr_options,
        second_options=args.second_ocr_options,
        choose=args.choose,
        second_cache=Path(os.environ["BILLS_SECOND_OCR_CACHE"])
        if "BILLS_SECOND_OCR_CACHE" in os.environ
        else None,
    )
    grouping = "vendor-grouped " if args.by_vendor else ""
    reading_of = (
        "the ground-truth lines"
        if args.boxes
        else f"re-read copies {args.reread} {REREADS[args.reread]}"
        if args.reread
        else "the images"
    )
    if args.engine == "tesseract":
        reading_of += ", tesseract's lines"
    elif args.choose:
        options = json.dumps(args.second_ocr_options, sort_keys=True)
        reading_of += f", each line or the local engine's ({options}) by the lexicon"
    elif args.second and args.second_ocr_options:
        options = json.dumps(args.second_ocr_options, sort_keys=True)
        reading_of += f", with the local engine's words ({options}) on each line"
    elif args.second:
        reading_of += ", with tesseract's words on each line"
    if args.ocr_options:
        reading_of += f", OCR options {json.dumps(args.ocr_options, sort_keys=True)}"
    rules = args.rules or reading.default_model().rules
    print(
        f"{args.folds}-fold {grouping}cross-validation on the development part "
        f"({reading_of}, rules {rules})"
    )
    print(table(rows, "all development receipts"))
    print(table([r for r in rows if r["seen"]], "vendor seen in the other folds"))
    print(table([r for r in rows if not r["seen"]], "vendor unseen in the other folds"))
    weighted = by_vendor_weight(rows)
    print(
        f"every vendor weighing the same ({len({r['vendor'] for r in rows})} vendors): "
        + "  ".join(f"{f} {weighted[f]:.3f}" for f in (*FIELDS, "mean"))
    )
    print(f"mean per fold: {noise(rows)}")
    seconds = [float(r["seconds"]) for r in rows]
    if seconds:
        print(
            f"seconds per receipt (OCR as first read): median {statistics.median(seconds):.2f}, "
            f"mean {statistics.fmean(seconds):.2f}, p95 {eval_bills.percentile(seconds, 0.95):.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
