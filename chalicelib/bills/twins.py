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


def _ink(gray: Array) -> NDArray[np.uint8]:
    """The receipt's ink (1) against the paper (0), by Otsu's threshold."""
    from chalicelib.bills import imaging as cv2

    image = np.clip(gray, 0, 255).astype(np.uint8)
    _, ink = cv2.threshold(image, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return np.asarray(ink, dtype=np.uint8)


def _components(ink: NDArray[np.uint8]) -> tuple[NDArray[np.int64], ...]:
    """x, y, w, h, area of each 8-connected ink component (the background left out)."""
    from chalicelib.bills import imaging as cv2

    _count, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return tuple(stats[1:, i].astype(np.int64) for i in range(5))


def _marks(gray: Array) -> tuple[NDArray[np.int64], ...] | None:
    x, y, w, h, area = _components(_ink(gray))
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


# --- v3: twins that survive a re-save, a one-pixel box change and larger total digits ---
#
# v2's twins miss a copied digit when (seen on the development receipts' ``digit_copy``)
# the JPEG save changes its box by a pixel (another size group), the amounts are printed
# taller than the body text (outside v2's 0.7-1.4 height band), or the print is dot
# matrix (a glyph is many small components). v3 takes marks of 0.6-2.2 times the typical
# height, adds the components of the ink grown by one pixel (a dot-matrix glyph becomes
# one mark), compares each mark with those whose box differs by at most a pixel, centred
# on the ink's centre of mass, and refines the closest few by one-pixel shifts.

NAMES3 = (
    "twin3_min",
    "twin3_min_xline",
    "twin3_z_xline",
    "twin3_close_xline",
    "twin3_median",
    "twin3_abs_min_xline",
    "twin3_third_xline",
    "twin3_z",
)
LOW3, HIGH3 = 0.6, 2.2  # mark heights kept, times the typical
MOST_MARKS3 = 3000
QUERIES3, MEMBERS3 = 800, 1200  # a size group's queries x candidates are bounded
TOP3 = 3  # closest candidates refined by shifts
FRAME3 = 100  # the edge padding that keeps every shifted window inside the image


def _grown(ink: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The ink grown by one pixel (3x3)."""
    tall = ink.copy()
    tall[1:, :] |= ink[:-1, :]
    tall[:-1, :] |= ink[1:, :]
    wide = tall.copy()
    wide[:, 1:] |= tall[:, :-1]
    wide[:, :-1] |= tall[:, 1:]
    return wide


def marks3(gray: Array) -> tuple[NDArray[np.int64], ...] | None:
    """Boxes (x, y, w, h) of the text marks v3 compares (see above)."""
    ink = _ink(gray)
    height, width = gray.shape
    found = [_components(ink)]
    x, y, w, h, area = found[0]
    sized = (area >= 8) & (h >= 6) & (h <= 90) & (w >= 2) & (w <= 90)
    if sized.sum() < 12:
        return None
    typical = float(np.median(h[sized]))
    found.append(_components(_grown(ink)))
    edge = PAD + 2
    xs: list[int] = []
    ys: list[int] = []
    ws: list[int] = []
    hs: list[int] = []
    seen: set[tuple[int, int, int, int]] = set()
    for x, y, w, h, area in found:
        keep = (
            (area >= 8)
            & (h >= 6)
            & (h <= 90)
            & (w >= 2)
            & (w <= 90)
            & (x >= edge)
            & (y >= edge)
            & (x + w + edge <= width)
            & (y + h + edge <= height)
            & (h >= LOW3 * typical)
            & (h <= HIGH3 * typical)
            & (w <= 1.6 * h)
        )
        for i in np.flatnonzero(keep).tolist():
            key = (int(x[i]) // 2, int(y[i]) // 2, int(w[i]) // 2, int(h[i]) // 2)
            if key in seen:  # the same mark found again in the grown ink
                continue
            seen.add(key)
            xs.append(int(x[i]))
            ys.append(int(y[i]))
            ws.append(int(w[i]))
            hs.append(int(h[i]))
    if len(xs) < 12:
        return None
    return tuple(np.asarray(v[:MOST_MARKS3], np.int64) for v in (xs, ys, ws, hs))


def nearest3(gray: Array) -> tuple[Array, Array]:
    """Per mark (``marks3``): the distance to its nearest twin anywhere (not overlapping
    it), and on another text line; inf when it has none."""
    found = marks3(gray)
    if found is None:
        empty = np.zeros((0,), np.float32)
        return empty, empty
    x, y, w, h = found
    n = x.size
    centre_x = np.zeros(n)
    centre_y = np.zeros(n)
    for i in range(n):
        box = 255.0 - gray[y[i] : y[i] + h[i], x[i] : x[i] + w[i]]
        weight = float(box.sum()) + 1e-3
        centre_x[i] = x[i] + float((box.sum(axis=0) * np.arange(w[i])).sum()) / weight
        centre_y[i] = y[i] + float((box.sum(axis=1) * np.arange(h[i])).sum()) / weight
    ax = np.round(centre_x).astype(np.int64)
    ay = np.round(centre_y).astype(np.int64)
    anywhere = np.full(n, np.inf, np.float32)
    other_line = np.full(n, np.inf, np.float32)
    padded = np.pad(gray.astype(np.float32), FRAME3, mode="edge")
    groups: dict[tuple[int, int], list[int]] = {}
    for i in range(n):
        groups.setdefault((int(w[i]), int(h[i])), []).append(i)
    shifts = [(sx, sy) for sx in (-1, 0, 1) for sy in (-1, 0, 1) if sx or sy]
    for (gw, gh), queries in groups.items():
        members = [
            j
            for (mw, mh), js in groups.items()
            if abs(mw - gw) <= 1 and abs(mh - gh) <= 1
            for j in js
        ]
        if len(members) < 2:
            continue
        q = np.asarray(queries, np.int64)[:QUERIES3]
        m = np.asarray(members, np.int64)[:MEMBERS3]
        rx, ry = gw // 2 + 1, gh // 2 + 1
        view = np.lib.stride_tricks.sliding_window_view(padded, (2 * ry + 1, 2 * rx + 1))

        def windows(
            idx: NDArray[np.int64],
            sx: int = 0,
            sy: int = 0,
            view: NDArray[np.float32] = view,
            rx: int = rx,
            ry: int = ry,
        ) -> NDArray[np.float32]:
            rows = ay[idx] - ry + sy + FRAME3
            cols = ax[idx] - rx + sx + FRAME3
            return np.asarray(view[rows, cols].reshape(len(idx), -1), np.float32)

        a = windows(q)
        b = windows(m)
        ca = np.maximum(np.percentile(a, 90, axis=1) - np.percentile(a, 10, axis=1), 20.0)
        cb = np.maximum(np.percentile(b, 90, axis=1) - np.percentile(b, 10, axis=1), 20.0)
        squares = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
        distance = np.sqrt(np.maximum(squares, 0) / a.shape[1]) / np.minimum(
            ca[:, None], cb[None, :]
        )
        overlapping = (np.abs(ax[q][:, None] - ax[m][None, :]) < gw) & (
            np.abs(ay[q][:, None] - ay[m][None, :]) < gh
        )
        distance[overlapping] = np.inf
        another_line = np.abs(y[q][:, None] - y[m][None, :]) >= 0.5 * gh
        k = min(TOP3, m.size - 1)
        if k < 1:
            continue
        for allowed, target in ((None, anywhere), (another_line, other_line)):
            pool = distance if allowed is None else np.where(allowed, distance, np.inf)
            closest = np.argpartition(pool, k - 1, axis=1)[:, :k]
            unshifted = np.take_along_axis(pool, closest, axis=1)
            best = unshifted.copy()
            rows = np.repeat(np.arange(q.size), k)
            cols = closest.ravel()
            norm = np.minimum(ca[rows], cb[cols])
            for sx, sy in shifts:
                moved = windows(m[cols], sx, sy)
                value = np.sqrt(((a[rows] - moved) ** 2).mean(axis=1)) / norm
                best = np.minimum(best, value.reshape(q.size, k))
            best[~np.isfinite(unshifted)] = np.inf
            target[q] = np.minimum(target[q], best.min(axis=1))
    return anywhere, other_line


def features3(gray: Array) -> list[float]:
    """``NAMES3`` of a grey image: as ``features`` over v3's twins, plus the closest
    other-line distance itself, the third closest over the typical (a copy and its source
    are each other's closest: the third is the next pair) and the robust z of the closest
    twin anywhere."""
    anywhere, other_line = nearest3(gray)
    anywhere = anywhere[np.isfinite(anywhere)]
    other_line = other_line[np.isfinite(other_line)]
    if anywhere.size < 5 or other_line.size < 5:
        return [1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
    typical = float(np.median(anywhere)) + 1e-3
    typical_x = float(np.median(other_line)) + 1e-3
    logs = np.log(other_line + 1e-3)
    centre = float(np.median(logs))
    spread = float(np.median(np.abs(logs - centre))) * 1.4826 + 0.05
    logs_any = np.log(anywhere + 1e-3)
    centre_any = float(np.median(logs_any))
    spread_any = float(np.median(np.abs(logs_any - centre_any))) * 1.4826 + 0.05
    ordered = np.sort(other_line)
    return [
        float(anywhere.min()) / typical,
        float(other_line.min()) / typical_x,
        float((centre - logs.min()) / spread),
        float((other_line < 0.4 * typical_x).sum()),
        typical,
        float(other_line.min()),
        float(ordered[2]) / typical_x,
        float((centre_any - logs_any.min()) / spread_any),
    ]
