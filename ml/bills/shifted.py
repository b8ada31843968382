"""Non-aligned double JPEG quantisation: a first compression whose 8x8 grid is not the
file's own (the image was cropped, or shifted, after the first save).

``requant`` reads the first save's lattice in the file's stored coefficients, which only
works when both saves share one grid. A bill edited and then cropped by a few pixels (or
cropped and saved once more) keeps its first compression, only on a grid moved by the
crop: in the decoded pixels, the DCT taken at that offset clusters near multiples of the
first save's steps, blurred by the later save's rounding. Pixels the forger painted,
pasted or typed were never quantised on that grid and do not cluster.

Steps: the decoded luminance; on a subsample of textured blocks, at each of the 64 grid
offsets, the periodicity of the low-frequency DCT coefficients (the real part of
exp(2 pi i c / q) for the best integer step q); the best offset other than the file's own
grid (0, 0), when it stands out from the other offsets; there, per frequency, the first
step q1; per block, the coefficients that are clearly non-zero and off the q1 lattice;
per window of 2x2 blocks, a binomial z against the image's own rate (as ``requant``).
A file with no moved grid (aligned, single-compressed, never compressed, resampled) gives
zeros. For a PNG (no own grid) all 64 offsets are searched: a JPEG decoded, edited and
saved as PNG keeps its grid too.

numpy + Pillow only.
"""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from chalicelib.bills import requant

NAMES = (
    "na_grid",  # how far the first grid's periodicity stands out from the other offsets (0: none)
    "na_lattice",  # the mean periodicity at the first grid, over the frequencies with a step
    "na_off_rate",  # the image's share of informative coefficients off the lattice
    "na_z_max",  # the window furthest off the lattice, binomial z
    "na_z_top3",
    "na_z_gap",  # the largest z over the 99th percentile's
    "na_off_max",  # the largest share off the lattice in a window with enough evidence
)
Float = NDArray[np.float64]
# low AC frequencies in zigzag order (row-major indices)
ZIGZAG = requant.ZIGZAG[:15]
SEARCH = ZIGZAG[:6]  # the grid search's frequencies
STEPS = np.arange(3, 33, dtype=np.float64)  # candidate first steps, pixel-domain units
SAMPLE = 800  # textured block positions the grid search uses
GRID_Z = 6.0  # how far above the other offsets the first grid must stand (robust z)
CLIP_LOW, CLIP_HIGH = 1.0, 254.0  # a pixel at or beyond these was clipped by a decoder


def luminance(data: bytes) -> tuple[Float, bool] | None:
    """The luminance as decoded (stored Y for a JPEG, no colour conversion:
    ``requant.luminance``) and whether the file is a JPEG (so has a grid of its own); None
    for other formats."""
    stored = requant.luminance(data)
    if stored is not None:
        return stored[0], True
    image = Image.open(io.BytesIO(data))
    if image.format == "PNG":
        return np.asarray(image.convert("YCbCr").getchannel(0), np.float64), False
    return None


def _dct_at(y: Float, dy: int, dx: int) -> Float:
    """DCT coefficients (pixel units, as JPEG's before quantisation) of the 8x8 blocks whose
    corners sit at (dy + 8i, dx + 8j): (rows, cols, 64). Not ``requant.coefficients``: that
    one's summation order moves values by 1e-13, and the lattice test's exact ties (rational
    coefficients at a quarter step) with them."""
    part = y[dy:, dx:]
    h, w = part.shape[0] // 8 * 8, part.shape[1] // 8 * 8
    blocks = part[:h, :w].reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)
    dct = np.einsum("ua,ijab,vb->ijuv", requant.BASIS, blocks, requant.BASIS, optimize=True)
    return np.asarray(dct.reshape(h // 8, w // 8, 64), np.float64)


def _periodicity(values: Float) -> tuple[float, float]:
    """The best first step of a set of coefficients and its periodicity: the mean real part
    of exp(2 pi i c / q) over the coefficients at least q/2 from 0 (a smooth distribution
    gives about 0 or below; a lattice of step q gives near 1). The largest step within 80 %
    of the best's periodicity is taken (a lattice of q is one of q/2 too)."""
    if values.size > 4000:
        values = values[:: values.size // 4000 + 1]
    used = np.abs(values)[:, None] >= STEPS[None, :] / 2
    counts = used.sum(axis=0)
    cosines = np.where(used, np.cos(2 * np.pi * values[:, None] / STEPS[None, :]), 0.0)
    scores = np.where(counts >= 30, cosines.sum(axis=0) / np.maximum(counts, 1), 0.0)
    best = float(scores.max())
    if best <= 0.0:
        return 0.0, 0.0
    chosen = int(np.nonzero(scores >= 0.8 * best)[0].max())
    return float(STEPS[chosen]), float(scores[chosen])


def _usable(blocks: Float) -> NDArray[np.bool_]:
    """Blocks (..., 8, 8) with texture and no clipped pixel (a pixel the first decode
    clipped at 0 or 255 is off the lattice whatever happened to it)."""
    high = blocks.max(axis=(-2, -1))
    low = blocks.min(axis=(-2, -1))
    return np.asarray((high < CLIP_HIGH) & (low > CLIP_LOW) & (blocks.std(axis=(-2, -1)) > 2.0))


def _windows(y: Float, rng: np.random.Generator) -> Float:
    """Up to SAMPLE 16x16 windows (corners on the file's grid) with texture and no clipped
    pixel: every 8x8 block at any of the 64 offsets lies inside one of them. (Which windows
    qualify is decided from the 8x8 blocks' statistics, so only the chosen are copied.)"""
    rows, cols = (y.shape[0] - 8) // 8, (y.shape[1] - 8) // 8
    if rows < 1 or cols < 1:
        return np.zeros((0, 16, 16))
    blocks = y[: (rows + 1) * 8, : (cols + 1) * 8].reshape(rows + 1, 8, cols + 1, 8)
    high, low = blocks.max(axis=(1, 3)), blocks.min(axis=(1, 3))
    total, squares = blocks.sum(axis=(1, 3)), (blocks**2).sum(axis=(1, 3))

    def pairs(values: Float, reduce: np.ufunc) -> Float:
        across = reduce(values[:-1, :-1], values[1:, :-1])
        return np.asarray(reduce(across, reduce(values[:-1, 1:], values[1:, 1:])), np.float64)

    mean = pairs(total, np.add) / 256.0
    spread = np.sqrt(np.maximum(pairs(squares, np.add) / 256.0 - mean**2, 0.0))
    usable = (pairs(high, np.maximum) < CLIP_HIGH) & (pairs(low, np.minimum) > CLIP_LOW)
    r, c = np.nonzero(usable & (spread > 2.0))
    if r.size > SAMPLE:
        keep = rng.choice(r.size, SAMPLE, replace=False)
        r, c = r[keep], c[keep]
    r, c = r * 8, c * 8
    windows = y[r[:, None, None] + np.arange(16)[None, :, None], c[:, None, None] + np.arange(16)]
    return np.asarray(windows, np.float64)


def grid_scores(y: Float) -> Float:
    """The periodicity of the search frequencies at each of the 64 offsets: (8, 8)."""
    windows = _windows(y, np.random.default_rng(0))
    scores = np.zeros((8, 8))
    if len(windows) < 100:
        return scores
    basis = requant.BASIS
    outer = np.einsum("ua,vb->uvab", basis, basis).reshape(64, 64)[list(SEARCH)]  # (6, 64)
    for dy in range(8):
        for dx in range(8):
            blocks = windows[:, dy : dy + 8, dx : dx + 8].reshape(len(windows), 64)
            dct = blocks @ outer.T
            scores[dy, dx] = float(
                np.mean([_periodicity(dct[:, i])[1] for i in range(len(SEARCH))])
            )
    return scores


def features(data: bytes) -> list[float]:
    """``NAMES`` of an image file's bytes (all 0 when no moved first grid is found)."""
    zero = [0.0] * len(NAMES)
    decoded = luminance(data)
    if decoded is None:
        return zero
    y, is_jpeg = decoded
    if min(y.shape) < 48:
        return zero
    scores = grid_scores(y)
    candidates = scores.copy()
    if is_jpeg:
        # the file's own grid (requant's business) and the offsets sharing a row or column
        # of it (its blocks' edges leak into them); a crop by whole blocks along one axis is
        # missed
        candidates[0, :] = -np.inf
        candidates[:, 0] = -np.inf
    best = int(np.argmax(candidates))
    dy, dx = best // 8, best % 8
    # the null: every other offset but the file's own (0, 0)
    others = np.delete(scores.ravel(), sorted({0, best}))
    spread = float(np.median(np.abs(others - np.median(others)))) * 1.4826 + 0.01
    grid = (float(scores[dy, dx]) - float(np.median(others))) / spread
    if grid < GRID_Z:
        return zero
    k = _dct_at(y, int(dy), int(dx))
    rows, cols = k.shape[:2]
    part = y[dy : dy + rows * 8, dx : dx + cols * 8]
    usable = _usable(part.reshape(rows, 8, cols, 8).transpose(0, 2, 1, 3))
    off = np.zeros((rows, cols))
    informative = np.zeros((rows, cols))
    lattices = []
    for index in ZIGZAG:
        values = k[:, :, index]
        step, lattice = _periodicity(values[usable])
        if lattice < 0.1:
            continue
        lattices.append(lattice)
        distance = np.abs(values - np.round(values / step) * step)
        clear = usable & (np.abs(values) >= step / 2)
        off += clear & (distance > step / 4)
        informative += clear
    windows = requant.window_scores(off, informative) if lattices else None
    return zero if windows is None else [grid, float(np.mean(lattices)), *windows]
