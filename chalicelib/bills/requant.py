"""Aligned double JPEG quantisation, block by block: pixels that were not there at the
first save.

A bill photographed or scanned to JPEG, edited and saved again as JPEG carries two
compressions in every block the forger left alone: each DCT coefficient was rounded to a
multiple of the first table's step (q1), then to the second's (q2). When q1 is coarser
than q2 (a phone's or scanner's moderate quality, re-saved higher: the usual case) the
values the second rounding can reach form a sparse lattice: most integers k are never
the rounding of a multiple of q1 over q2. Pixels the forger painted, pasted (off the
8x8 grid or resampled), inpainted or typed were compressed only once, so their
coefficients land anywhere. Per frequency, q1 is estimated from the image itself (the
step whose lattice holds most of the non-zero coefficients for the fewest integers);
per window of 2x2 blocks, the coefficients off that lattice are counted against the
image's own rate, as a binomial z. ``NAMES`` (v4, v5) look at the 20 lowest AC frequencies;
``NAMES_ALL`` (v6) at all 63: a coarse first save zeroes most high frequencies, so any
small non-zero value there is off its lattice, and a one-digit edit's few blocks carry
three times the evidence. A genuine re-save is on the lattice everywhere, a
crop or rescale breaks the grid everywhere (no lattice is found), a single-compressed
original has none: only a local edit gives a window far off the lattice.

Only the file's luminance as decoded (no colour conversion: Pillow's JPEG draft mode)
and its quantisation table are used; numpy + Pillow only, no OpenCV or OCR.
"""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image

NAMES = (
    "dq_lattice",  # how sparse the first compression's lattice is (0: none found)
    "dq_frequencies",  # frequencies with a lattice
    "dq_off_rate",  # the image's share of non-zero coefficients off the lattice
    "dq_z_max",  # the window furthest off the lattice, binomial z
    "dq_z_top3",
    "dq_z_gap",  # the largest z over the 99th percentile's
    "dq_off_max",  # the largest share off the lattice in a window with enough evidence
)
NAMES_ALL = tuple(name.replace("dq_", "dqa_", 1) for name in NAMES)  # the same, all 63
Float = NDArray[np.float64]
# the 20 lowest AC frequencies in zigzag order, as row-major indices (v4's and v5's)
ZIGZAG = (1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40)
# all 63 AC frequencies, lowest first (v6's)
ALL_AC = tuple(
    u * 8 + v for _, u, v in sorted((u + v, u, v) for u in range(8) for v in range(8))[1:]
)
TOLERANCE = 0.6  # the first decode's rounding, in coefficient units


def _basis() -> Float:
    n = np.arange(8)
    basis = np.cos((2 * n[None, :] + 1) * n[:, None] * np.pi / 16)
    basis[0] *= np.sqrt(0.5)
    return np.asarray(basis * 0.5, np.float64)


BASIS = _basis()  # the 8-point DCT-II, orthonormal (JPEG's)


def luminance(data: bytes) -> tuple[Float, Float] | None:
    """The stored luminance (as decoded, before any colour conversion) and its 8x8
    quantisation table (row-major), or None for a file that is not a JPEG."""
    image = Image.open(io.BytesIO(data))
    tables = getattr(image, "quantization", None)
    if image.format != "JPEG" or not tables:
        return None
    if image.mode not in ("L", "YCbCr", "RGB"):
        return None
    if image.mode == "RGB":
        image.draft("YCbCr", image.size)
    image.load()
    y = np.asarray(image.getchannel(0), np.float64)
    table = np.asarray(list(tables[min(tables)]), np.float64).reshape(8, 8)
    return y, table


def coefficients(y: Float, table: Float) -> Float:
    """Quantised DCT coefficients (float, near integers) of each 8x8 block:
    (block rows, block columns, 64)."""
    h, w = y.shape[0] // 8 * 8, y.shape[1] // 8 * 8
    blocks = (y[:h, :w] - 128.0).reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)
    dct = np.einsum("ua,ijab,vb->ijuv", BASIS, blocks, BASIS)
    return np.asarray((dct / table).reshape(h // 8, w // 8, 64), np.float64)


def _on_lattice(k: Float, step2: float, step1: float) -> NDArray[np.bool_]:
    """Whether the value k*step2 is within rounding of a multiple of step1."""
    value = np.abs(k) * step2
    distance = np.abs(value - np.round(value / step1) * step1)
    return np.asarray(distance <= step2 / 2 + TOLERANCE)


def first_step(k: Float, step2: float) -> tuple[float, float]:
    """The first compression's step for one frequency (0 when none is found) and its
    evidence: the share of non-zero coefficients on its lattice minus the lattice's
    density among the integers they span."""
    nonzero = k[k != 0]
    if nonzero.size < 50:
        return 0.0, 0.0
    span = np.arange(1, int(min(np.abs(nonzero).max(), 60)) + 1, dtype=np.float64)
    best, evidence = 0.0, 0.0
    for step1 in np.arange(step2 + 1.0, 4.0 * step2 + 40.0).tolist():
        density = float(_on_lattice(span, step2, step1).mean())
        if density > 0.8:
            continue
        share = float(_on_lattice(nonzero, step2, step1).mean())
        if share - density > evidence:
            best, evidence = step1, share - density
    return (best, evidence) if evidence >= 0.25 else (0.0, 0.0)


def features(data: bytes, frequencies: tuple[int, ...] = ZIGZAG) -> list[float]:
    """``NAMES`` of an image file's bytes over ``frequencies`` (``ALL_AC``: ``NAMES_ALL``);
    all 0 for a PNG or when no lattice is found."""
    zero = [0.0] * len(NAMES)
    decoded = luminance(data)
    if decoded is None:
        return zero
    y, table = decoded
    if min(y.shape) < 32:
        return zero
    k = np.round(coefficients(y, table))
    rows, cols = k.shape[:2]
    off = np.zeros((rows, cols))
    informative = np.zeros((rows, cols))
    evidences = []
    for index in frequencies:
        step2 = float(table.ravel()[index])
        values = k[:, :, index]
        step1, evidence = first_step(values.ravel(), step2)
        if step1 == 0.0:
            continue
        evidences.append(evidence)
        nonzero = values != 0
        off += nonzero & ~_on_lattice(values, step2, step1)
        informative += nonzero
    windows = window_scores(off, informative) if evidences else None
    return zero if windows is None else [float(np.mean(evidences)), float(len(evidences)), *windows]


def window_scores(off: Float, informative: Float) -> list[float] | None:
    """From per-block counts of coefficients off the lattice and of informative ones: the
    image's off rate, then per window of 2x2 blocks (16x16 pixels: a digit or two) the
    binomial z against that rate — its largest, top-3 mean and largest over the 99th
    percentile — and the largest off share of a window with enough evidence. None when
    the image has too little evidence (under 100 informative coefficients)."""
    if informative.sum() < 100:
        return None
    rate = float(off.sum() / informative.sum())
    rate = min(max(rate, 0.01), 0.99)
    off2 = off[:-1, :-1] + off[1:, :-1] + off[:-1, 1:] + off[1:, 1:]
    n2 = informative[:-1, :-1] + informative[1:, :-1] + informative[:-1, 1:] + informative[1:, 1:]
    z = ((off2 - rate * n2) / np.sqrt(n2 * rate * (1 - rate) + 1.0)).ravel()
    enough = n2.ravel() >= 6
    share = np.where(enough, off2.ravel() / np.maximum(n2.ravel(), 1.0), 0.0)
    top = np.partition(z, -3)[-3:] if z.size >= 3 else z
    p99 = float(np.percentile(z, 99))
    return [
        rate,
        float(z.max()),
        float(top.mean()),
        float(z.max() - max(p99, 0.0)),
        float(share.max()),
    ]
