"""Unique visitors: a HyperLogLog sketch per scope and day, merged at read time.

Apache DataSketches' HLL (``datasketches``, pinned): ``lg_k`` 12 (4,096 buckets) in
``HLL_4`` form, at most about 2.6 KB serialized (a few bytes for a handful of visitors),
relative standard error about 1.6 %; the bounds and the stated relative error are at
three standard deviations (about 99.7 %). Adding a visitor twice changes nothing, so a
redelivered batch cannot count a visitor twice, and sketches of any days merge into the
range's figure.

The public ``datasketches`` package imports numpy at import time (for its kernel density
sketch); its compiled core ``_datasketches`` holds the HLL, runs without numpy (the
deployment bundle leaves numpy out: scripts/package.py) and is imported here on the
first use of a sketch only (the ingest path never needs one).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.analytics.domain import VisitorEstimate

LG_K = 12
STANDARD_DEVIATIONS = 3


def _lib() -> Any:
    import _datasketches  # the compiled core of the pinned `datasketches` wheel

    return _datasketches


def add(sketch: bytes | None, visitors: Iterable[str]) -> bytes:
    """``sketch`` (None: an empty one) with ``visitors`` added, serialized."""
    lib = _lib()
    current = (
        lib.hll_sketch.deserialize(sketch)
        if sketch
        else lib.hll_sketch(LG_K, lib.tgt_hll_type.HLL_4)
    )
    for visitor in visitors:
        current.update(visitor)
    return bytes(current.serialize_compact())


def estimate(sketches: Iterable[bytes | None]) -> VisitorEstimate:
    """Unique visitors over every sketch given (the union), with ~99.7 % bounds."""
    lib = _lib()
    union = lib.hll_union(LG_K)
    for sketch in sketches:
        if sketch:
            union.update(lib.hll_sketch.deserialize(sketch))
    value = union.get_estimate()
    lower = union.get_lower_bound(STANDARD_DEVIATIONS)
    upper = union.get_upper_bound(STANDARD_DEVIATIONS)
    return VisitorEstimate(
        estimate=round(value),
        lower=int(lower),
        upper=int(-(-upper // 1)),
        relative_error=relative_error(),
    )


def relative_error() -> float:
    """The stated relative error (three standard deviations, merged sketches) for ``LG_K``."""
    lib = _lib()
    return round(abs(float(lib.hll_sketch.get_rel_err(True, True, LG_K, STANDARD_DEVIATIONS))), 4)
