"""Features of an authenticity set (``images/`` + ``authenticity.csv``), with a progress bar
and an optional on-disk cache keyed by each image's sha256 (``BILLS_FEATURE_CACHE``).
With ``wanted`` (a model's features) only those are computed, as at run time; the others
are 0."""

from __future__ import annotations

import csv
import hashlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from chalicelib.bills import forensics, imaging, requant, twins

# the cache is keyed by the feature code too: a change to it invalidates the cache
CODE = hashlib.sha256(
    b"".join(Path(str(m.__file__)).read_bytes() for m in (forensics, twins, imaging, requant))
).hexdigest()[:12]


@dataclass(frozen=True)
class LabelledSet:
    stems: list[str]
    labels: NDArray[np.int64]  # 1 = tampered
    methods: list[str]
    sources: list[str]
    features: NDArray[np.float32]
    left_out: tuple[str, ...] = ()  # listed rows not read: why, one per row


LABELS = {"genuine": 0, "tampered": 1}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")  # in any case


def read_labels(data: Path) -> list[dict[str, str]]:
    """The rows of ``authenticity.csv`` with a stem (column names and values trimmed, names
    in lower case; a byte-order mark is not part of the first name)."""
    with (data / "authenticity.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = [
            {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            for row in csv.DictReader(handle)
        ]
    return [row for row in rows if row.get("stem")]


def image_of(data: Path, stem: str) -> Path:
    """The image of ``stem`` in ``images/`` (``.jpg``, ``.jpeg`` or ``.png`` in any case;
    a stem that already names its file is taken as it is)."""
    folder = data / "images"
    if (folder / stem).is_file():
        return folder / stem
    for suffix in IMAGE_SUFFIXES:
        for variant in (suffix, suffix.upper()):
            path = folder / f"{stem}{variant}"
            if path.exists():
                return path
    raise FileNotFoundError(f"no image for {stem} in {folder}")


def features_of(
    path: Path, cache: Path | None, wanted: Sequence[str] | None = None
) -> NDArray[np.float32]:
    data = path.read_bytes()
    key = hashlib.sha256(data).hexdigest()
    if wanted is not None:
        key += "-" + hashlib.sha256(",".join(sorted(wanted)).encode()).hexdigest()[:8]
    entry = cache / f"{key}-{CODE}.npy" if cache else None
    if entry is not None and entry.exists():
        loaded: NDArray[np.float32] = np.load(entry).astype(np.float32)
        return loaded
    values = forensics.features(data, wanted)
    if entry is not None:
        entry.parent.mkdir(parents=True, exist_ok=True)
        np.save(entry, values)
    return values


def load(
    data: Path, description: str = "features", wanted: Sequence[str] | None = None
) -> LabelledSet:
    cache_dir = os.environ.get("BILLS_FEATURE_CACHE")
    cache = Path(cache_dir) if cache_dir else None
    rows, vectors, left_out = [], [], []
    for row in tqdm(read_labels(data), desc=description, unit="image"):
        if row.get("label", "").lower() not in LABELS:
            left_out.append(f"{row['stem']}: label {row.get('label')!r} is not genuine/tampered")
            continue
        try:
            vectors.append(features_of(image_of(data, row["stem"]), cache, wanted))
        except Exception as error:  # noqa: BLE001 - a missing or unreadable image: named, not fatal
            left_out.append(f"{row['stem']}: {type(error).__name__}: {error}")
            continue
        rows.append(row)
    for reason in left_out:
        print(f"left out {reason}", file=sys.stderr)
    if not rows:
        raise SystemExit(f"{data}: no labelled image could be read")
    return LabelledSet(
        stems=[row["stem"] for row in rows],
        labels=np.asarray([LABELS[row["label"].lower()] for row in rows]),
        methods=[row.get("method") or row["label"] for row in rows],
        sources=[row.get("source") or row["stem"] for row in rows],
        features=np.vstack(vectors).astype(np.float32),
        left_out=tuple(left_out),
    )
