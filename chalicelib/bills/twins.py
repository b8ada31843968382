"""Glyph twins: a digit copied from elsewhere on the same receipt is a near-exact twin.

The commonest real forgery changes one digit of a total or a date by copying another
digit's pixels from the same receipt. Printed glyphs repeat a character only roughly (the
print head, the paper, the scan's sub-pixel position all differ); a copied glyph repeats
its source pixel for pixel, up to the re-compression. So, per printed mark of body-text
size (a connected ink component), the distance to its nearest mark of the same box size
on ANOTHER text line (RMS of the grey levels over the box and a one-pixel ring, over the
pair's contrast), relative to the receipt's typical nearest-twin distance: a twin far
closer than the rest of the receipt's print is suspicious. Rendered text (a logo line,
an overlay) repeats glyphs exactly within its line, which is why the same line is left
out, and why the statistics are relative to the receipt's own.

numpy only (the connected components come from ``imaging``): no OpenCV, scipy or
scikit-learn, so it runs in the bill layer on AWS.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

NAMES = (
    "twin_min",
    "twin_min_xline",
    "twin_z_xline",
    "twin_close_xline",
    "twin_median",
)
Array = NDArray[np.float32]
PAD = 1
MOST_MARKS = 4000
GROUP = 600  # pairwise distances within a box-size group are bounded by GROUP x GROUP


def _marks(gray: Array) -> tuple[NDArray[np.int64], ...] | None:
    from chalicelib.bills import imaging as cv2

    image = np.clip(gray, 0, 255).astype(np.uint8)
    _, ink = cv2.threshold(image, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _count, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h, area = (stats[1:, i].astype(np.int64) for i in range(5))
    height, width = gray.shape
    keep = (
        (area >= 8)
        & (h >= 6)
        & (h <= 60)
        & (w >= 2)
        & (w <= 60)
        & (x >= PAD)
        & (y >= PAD)
        & (x + w + PAD <= width)
        & (y + h + PAD <= height)
    )
    if keep.sum() < 12:
        return None
    typical = float(np.median(h[keep]))
    keep &= (h >= 0.7 * typical) & (h <= 1.4 * typical)  # body text: amounts, dates
    chosen = np.flatnonzero(keep)[:MOST_MARKS]
    return x[chosen], y[chosen], w[chosen], h[chosen]


def nearest(gray: Array) -> tuple[Array, Array]:
    """Per body-text mark: the distance to its nearest same-size twin anywhere, and on
    another text line (inf when it has none)."""
    found = _marks(gray)
    if found is None:
        empty = np.zeros((0,), np.float32)
        return empty, empty
    x, y, w, h = found
    anywhere = np.full(x.size, np.inf, np.float32)
    other_line = np.full(x.size, np.inf, np.float32)
    keys = w * 1000 + h
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(keys[order])) + 1
    for members in np.split(order, bounds):
        if members.size < 2:
            continue
        members = members[:GROUP]
        gw, gh = int(w[members[0]]), int(h[members[0]])
        patches = np.stack(
            [
                gray[y[i] - PAD : y[i] + gh + PAD, x[i] - PAD : x[i] + gw + PAD].ravel()
                for i in members.tolist()
            ]
        ).astype(np.float32)
        low = np.percentile(patches, 10, axis=1)
        high = np.percentile(patches, 90, axis=1)
        contrast = np.maximum(high - low, 20.0)
        squares = (patches**2).sum(axis=1)
        d2 = np.maximum(squares[:, None] + squares[None, :] - 2.0 * patches @ patches.T, 0.0)
        distance = np.sqrt(d2 / patches.shape[1]) / np.minimum(contrast[:, None], contrast[None, :])
        np.fill_diagonal(distance, np.inf)
        anywhere[members] = distance.min(axis=1)
        ys = y[members]
        same_line = np.abs(ys[:, None] - ys[None, :]) < 0.5 * gh
        distance[same_line] = np.inf
        other_line[members] = distance.min(axis=1)
    return anywhere[np.isfinite(anywhere)], other_line[np.isfinite(other_line)]


def features(gray: Array) -> list[float]:
    """``NAMES`` of a grey image: the closest twin over the typical one (anywhere and on
    another line), the robust z of the closest other-line twin (in log distance), how many
    marks have an other-line twin under 0.4 of the typical distance, the typical distance."""
    anywhere, other_line = nearest(gray)
    if anywhere.size < 5 or other_line.size < 5:
        return [1.0, 1.0, 0.0, 0.0, 0.0]
    typical = float(np.median(anywhere)) + 1e-3
    typical_x = float(np.median(other_line)) + 1e-3
    logs = np.log(other_line + 1e-3)
    centre = float(np.median(logs))
    spread = float(np.median(np.abs(logs - centre))) * 1.4826 + 0.05
    return [
        float(anywhere.min()) / typical,
        float(other_line.min()) / typical_x,
        float((centre - logs.min()) / spread),
        float((other_line < 0.4 * typical_x).sum()),
        typical,
    ]
