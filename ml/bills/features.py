"""Features of an authenticity set (``images/`` + ``authenticity.csv``), with a progress bar
and an optional on-disk cache keyed by each image's sha256 (``BILLS_FEATURE_CACHE``).
With ``wanted`` (a model's features) only those are computed, as at run time; the others
are 0."""

from __future__ import annotations

import csv
import hashlib
import os
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


def read_labels(data: Path) -> list[dict[str, str]]:
    with (data / "authenticity.csv").open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row.get("stem")]


def image_of(data: Path, stem: str) -> Path:
    for suffix in (".jpg", ".jpeg", ".png", ".JPG", ".PNG"):
        path = data / "images" / f"{stem}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no image for {stem} in {data / 'images'}")


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
    rows = read_labels(data)
    cache_dir = os.environ.get("BILLS_FEATURE_CACHE")
    cache = Path(cache_dir) if cache_dir else None
    vectors = [
        features_of(image_of(data, row["stem"]), cache, wanted)
        for row in tqdm(rows, desc=description, unit="image")
    ]
    return LabelledSet(
        stems=[row["stem"] for row in rows],
        labels=np.asarray([1 if row["label"].strip() == "tampered" else 0 for row in rows]),
        methods=[row.get("method") or row["label"] for row in rows],
        sources=[row.get("source") or row["stem"] for row in rows],
        features=np.vstack(vectors).astype(np.float32),
    )
