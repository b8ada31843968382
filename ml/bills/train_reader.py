"""`make train-reader`: what the bill reader learns from the development receipts, written
to ``models/bill-reader/v<N>/`` (``manifest.json`` + the word lists, sha256 in the manifest).

1. Every development image is read once by the local OCR (cached on disk by sha256,
   ``BILLS_OCR_CACHE``, default ``/tmp/ocr-cache``), with a progress bar.
2. The gap model: for the OCR lines whose text equals a ground-truth line of ``boxes/``
   (ignoring spaces), each pair of neighbouring characters is labelled space / no space by
   the ground truth; a logistic regression on (gap / line height, centre distance / pitch).
3. The receipt words: every word of the development labels and ground-truth lines, counted.
4. The general words: English and Malay word frequencies (wordfreq; top 30000 / 20000).
5. The cross-validations of the whole reader on the development part
   (``ml.bills.cv_extraction``: folds by receipt and folds by vendor), recorded in the
   manifest. Held-out receipts never enter.

Usage: python -m ml.bills.train_reader DATA [--version N]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from chalicelib.bills import reading, spacing
from chalicelib.bills.domain import OcrLine
from ml.bills import eval_bills
from ml.bills.vocabulary import count_words, development_stems

OUT = Path(__file__).resolve().parents[2] / "models" / reading.MODEL_NAME


def ocr_all(data: Path, stems: list[str], cache: Path) -> dict[str, list[OcrLine]]:
    out = {}
    for stem in tqdm(stems, desc="OCR (cached)", unit="receipt"):
        out[stem] = eval_bills.ocr_lines(data / "images" / f"{stem}.jpg", cache)[0]
    return out


def gap_pairs(
    data: Path, lines: dict[str, list[OcrLine]]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(gap / height, centre distance / pitch) of neighbouring characters, and whether
    the ground truth has a space between them."""
    features: list[tuple[float, float, float, float]] = []
    labels: list[bool] = []
    for stem, found in lines.items():
        truth: dict[str, str] = {}
        with (data / "boxes" / f"{stem}.csv").open(encoding="utf-8", errors="replace") as handle:
            for row in csv.reader(handle):
                text = ",".join(row[8:]).upper()
                truth[re.sub(r"\s", "", text)] = text
        for line in found:
            text = line.text.upper()
            if len(line.char_edges) != len(text) or len(text) < 4:
                continue
            printed = truth.get(re.sub(r"\s", "", text))
            if printed is None:
                continue
            spaces, k = set(), 0
            for char in printed:
                if char == " ":
                    spaces.add(k)
                else:
                    k += 1
            solid = [i for i, c in enumerate(text) if c != " "]
            pairs = spacing.pair_features(line)
            for j in range(1, len(solid)):
                features.append(pairs[solid[j]])
                labels.append(j in spaces)
    return np.asarray(features), np.asarray(labels)


def fit_gaps(data: Path, lines: dict[str, list[OcrLine]], *, ink: bool = True) -> spacing.GapModel:
    """The gap model fitted on these receipts' lines: the plain terms for lines without
    ink gaps and (``ink``) the terms with the blank columns."""
    features, labels = gap_pairs(data, lines)
    plain = LogisticRegression(C=10.0, max_iter=1000).fit(features[:, :2], labels)
    with_ink: tuple[float, ...] = ()
    if ink:
        fitted = LogisticRegression(C=10.0, max_iter=1000).fit(features, labels)
        with_ink = (
            *(round(float(c), 4) for c in fitted.coef_[0]),
            round(float(fitted.intercept_[0]), 4),
        )
    return spacing.GapModel(
        gap=round(float(plain.coef_[0][0]), 4),
        pitch=round(float(plain.coef_[0][1]), 4),
        bias=round(float(plain.intercept_[0]), 4),
        with_ink=with_ink,
    )


def general_words() -> dict[str, float]:
    from wordfreq import top_n_list, zipf_frequency

    out: dict[str, float] = {}
    for language, count in (("en", 30000), ("ms", 20000)):
        for word in top_n_list(language, count, wordlist="best"):
            if re.fullmatch(r"[a-z]{2,}", word):
                upper = word.upper()
                out[upper] = max(out.get(upper, 0.0), zipf_frequency(word, language))
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--version", type=int, default=3)
    args = parser.parse_args(argv)
    cache = Path(os.environ.get("BILLS_OCR_CACHE", "/tmp/ocr-cache"))  # noqa: S108
    stems = development_stems(args.data)
    lines = ocr_all(args.data, stems, cache)
    _, labels = gap_pairs(args.data, lines)
    gaps = asdict(fit_gaps(args.data, lines))
    print(f"gap model on {len(labels)} character pairs ({labels.mean():.3f} spaces): {gaps}")
    # the rules the model reads with (its manifest's "rules"): v1 and v2 were shipped
    # reading with rules 2, v3 with rules 3 (reading.RULES; docs/bills.md)
    rules = reading.RULES if args.version >= 3 else 2
    out = OUT / f"v{args.version}"
    out.mkdir(parents=True, exist_ok=True)
    counts = count_words(args.data, stems)
    (out / reading.RECEIPT_WORDS).write_text(
        "# word count: the development receipts' labels and ground-truth lines\n"
        + "".join(f"{word} {count}\n" for word, count in sorted(counts.items())),
        encoding="utf-8",
    )
    general = general_words()
    (out / reading.GENERAL_WORDS).write_text(
        "# max zipf frequency in English (top 30000) and Malay (top 20000), wordfreq 3.1.1\n"
        + "".join(f"{word} {zipf:.2f}\n" for word, zipf in sorted(general.items())),
        encoding="utf-8",
    )
    manifest = {
        "name": reading.MODEL_NAME,
        "version": f"v{args.version}",
        "gaps": gaps,
        "gap_weight": reading.GAP_WEIGHT,
        "plain_gap_weight": reading.PLAIN_GAP_WEIGHT,
        "lexicon": reading.LEXICON,
        "rules": rules,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_set": {"receipts": len(stems), "part": "development", "pairs": len(labels)},
        "files": {
            name: {"sha256": sha256(out / name), "bytes": (out / name).stat().st_size}
            for name in (reading.RECEIPT_WORDS, reading.GENERAL_WORDS)
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    from ml.bills import cv_extraction  # it fits the gap model per fold with fit_gaps

    report = cv_extraction.summary(cv_extraction.run(args.data, 5, cache, rules=rules))
    grouped = cv_extraction.summary(
        cv_extraction.run(args.data, 5, cache, by_vendor=True, rules=rules)
    )
    manifest["cross_validation"] = {"folds": 5, "part": "development", **report}
    manifest["vendor_grouped_cross_validation"] = {"folds": 5, "part": "development", **grouped}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"5-fold CV on the development part: {report['all']['ours']}")
    print(f"5-fold vendor-grouped CV (every vendor unseen): {grouped['all']['no_shops']}")
    print(f"wrote {out}: {len(counts)} receipt words, {len(general)} general words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
