"""The three OpenCV operations the forensic features use, in numpy: so the bill layer on
AWS (Textract for OCR) needs no OpenCV, whose 127 MB do not fit beside the function in
Lambda's 250 MB (``docs/bills.md``, "The layer").

Same names, arguments and results as ``cv2`` for the calls ``forensics`` makes (checked
against OpenCV on the development receipts: ``tests/unit/bills/test_imaging.py``), so
switching is ``from chalicelib.bills import imaging as cv2``:
- ``threshold(image, 0, maxval, THRESH_BINARY_INV + THRESH_OTSU)`` on uint8;
- ``connectedComponentsWithStats(binary, connectivity=8)``: count, labels (int32, in
  raster order of each component's first pixel), stats (x, y, width, height, area),
  centroids;
- ``Sobel(image, CV_32F, dx, dy, ksize=3)`` with OpenCV's default border (reflect 101).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

THRESH_BINARY = 0
THRESH_BINARY_INV = 1
THRESH_OTSU = 8
CV_32F = 5


def _otsu(image: NDArray[np.uint8]) -> float:
    """OpenCV's Otsu threshold of a uint8 image (the first maximum of the between-class
    variance over the 256 levels)."""
    hist = np.bincount(image.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    levels = np.arange(256, dtype=np.float64)
    mu = float((levels * hist).sum() / total)
    best, best_sigma, q1, mu1 = 0.0, 0.0, 0.0, 0.0
    for level in range(256):
        p = hist[level] / total
        q1_next = q1 + p
        if min(q1_next, 1.0 - q1_next) < 1e-12 or q1_next > 1.0 - 1e-12:
            q1 = q1_next
            continue
        mu1 = (mu1 * q1 + level * p) / q1_next
        mu2 = (mu - q1_next * mu1) / (1.0 - q1_next)
        sigma = q1_next * (1.0 - q1_next) * (mu1 - mu2) ** 2
        if sigma > best_sigma:
            best, best_sigma = float(level), sigma
        q1 = q1_next
    return best


def threshold(image: NDArray[Any], thresh: float, maxval: float, kind: int) -> tuple[float, Any]:
    """``cv2.threshold`` for THRESH_BINARY / THRESH_BINARY_INV, with or without OTSU."""
    if kind & THRESH_OTSU:
        thresh = _otsu(np.asarray(image, np.uint8))
    above = np.asarray(image) > thresh
    if kind & THRESH_BINARY_INV:
        above = ~above
    return thresh, (above * maxval).astype(np.asarray(image).dtype)


def _runs(fg: NDArray[np.bool_]) -> tuple[NDArray[np.int64], ...]:
    """Runs of foreground pixels: row, first column, last column (inclusive)."""
    h, w = fg.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = fg
    change = np.diff(padded, axis=1)
    rows_s, starts = np.nonzero(change == 1)
    _, stops = np.nonzero(change == -1)
    return rows_s.astype(np.int64), starts.astype(np.int64), stops.astype(np.int64) - 1


def connectedComponentsWithStats(
    image: NDArray[Any], connectivity: int = 8
) -> tuple[int, NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """Components of the non-zero pixels (8- or 4-connected), like OpenCV's: the same
    components and statistics (numbered in raster order of their first pixel, where
    OpenCV's block scan may number them otherwise)."""
    fg = np.asarray(image) != 0
    h, w = fg.shape
    row, first, last = _runs(fg)
    n = len(row)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reach = 1 if connectivity == 8 else 0
    row_start = np.searchsorted(row, np.arange(h + 1))
    for r in range(h - 1):
        a0, a1, b0, b1 = row_start[r], row_start[r + 1], row_start[r + 1], row_start[r + 2]
        if a0 == a1 or b0 == b1:
            continue
        below_first, below_last = first[b0:b1], last[b0:b1]
        # runs below that touch run i: first <= last_i + reach and last >= first_i - reach
        lo = np.searchsorted(below_last, first[a0:a1] - reach, side="left")
        hi = np.searchsorted(below_first, last[a0:a1] + reach, side="right")
        for i, (start, stop) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
            for j in range(start, stop):
                x, y = find(a0 + i), find(b0 + j)
                if x != y:
                    parent[max(x, y)] = min(x, y)
    roots = np.fromiter((find(i) for i in range(n)), np.int64, n)
    order, ids = np.unique(roots, return_inverse=True)
    count = len(order) + 1
    ids = ids.astype(np.int64) + 1
    lengths = last - first + 1
    labels = np.zeros(h * w, np.int32)
    offsets = np.repeat(row * w + first - np.cumsum(lengths) + lengths, lengths)
    labels[offsets + np.arange(int(lengths.sum()))] = np.repeat(ids, lengths)
    stats = np.zeros((count, 5), np.int32)
    x0 = np.full(count, w, np.int64)
    y0 = np.full(count, h, np.int64)
    x1 = np.full(count, -1, np.int64)
    y1 = np.full(count, -1, np.int64)
    np.minimum.at(x0, ids, first)
    np.minimum.at(y0, ids, row)
    np.maximum.at(x1, ids, last)
    np.maximum.at(y1, ids, row)
    area = np.bincount(ids, weights=lengths, minlength=count)
    stats[1:, 0], stats[1:, 1] = x0[1:], y0[1:]
    stats[1:, 2], stats[1:, 3] = x1[1:] - x0[1:] + 1, y1[1:] - y0[1:] + 1
    stats[1:, 4] = area[1:]
    background = ~fg
    if background.any():
        by, bx = np.nonzero(background)
        stats[0] = (bx.min(), by.min(), bx.max() - bx.min() + 1, by.max() - by.min() + 1, by.size)
    # centroids: sums of x over a run = length * (first + last) / 2
    centroids = np.zeros((count, 2), np.float64)
    safe = np.maximum(area, 1)
    centroids[1:, 0] = (
        np.bincount(ids, weights=lengths * (first + last) / 2, minlength=count)[1:] / safe[1:]
    )
    centroids[1:, 1] = np.bincount(ids, weights=lengths * row, minlength=count)[1:] / safe[1:]
    if background.any():
        centroids[0] = (bx.mean(), by.mean())
    return count, labels.reshape(h, w), stats, centroids


def Sobel(
    image: NDArray[Any], ddepth: int, dx: int, dy: int, ksize: int = 3
) -> NDArray[np.float32]:
    """The 3x3 Sobel derivative (dx=1, dy=0 or dx=0, dy=1), border reflect 101."""
    if ksize != 3 or (dx, dy) not in ((1, 0), (0, 1)):
        raise ValueError("only the 3x3 first derivatives are implemented")
    a = np.pad(np.asarray(image, np.float32), 1, mode="reflect")
    if dx:
        diff = a[:, 2:] - a[:, :-2]
        return np.asarray(diff[:-2] + 2 * diff[1:-1] + diff[2:], np.float32)
    diff = a[2:, :] - a[:-2, :]
    return np.asarray(diff[:, :-2] + 2 * diff[:, 1:-1] + diff[:, 2:], np.float32)
