"""Signs of editing in a bill's pixels: the authenticity model's features (numpy + Pillow,
in the ML layer; the same code computes them for training and at run time).

Each feature looks for something a genuine scan or photo has evenly and an edit breaks
locally, so that it carries over to edits the generator never made:
- error-level analysis (ELA): re-saved at a known JPEG quality, a region with another
  compression history differs more (or less) than the rest, relative to its own texture;
- noise: the high-pass residual in flat paper areas, even over a genuine image, uneven
  where a patch came from elsewhere;
- the JPEG 8x8 grid: its phase per region (a pasted or moved patch keeps its own grid);
- double compression: periodic gaps in the DCT coefficient histograms;
- copy-move: textured blocks repeated at one shift many times (a moved region), and small
  blocks repeated almost exactly (``_duplicates``): print repeats a glyph only
  approximately (its own noise, sub-pixel position), a copied digit repeats its noise too;
- JPEG ghosts: each block's error curve over several re-save qualities, against blocks
  of the same texture (a patch with another compression history has another curve);
- per printed mark (character-sized): its error level, the noise of the paper around it
  and its 8x8 blockiness, each against the other marks;
- glyph twins (``twins``): a body-text mark whose nearest same-size mark on another line
  is far closer than the receipt's print repeats itself (a digit copied pixel for pixel);
  v3's twins (``twin3_``) also match across a one-pixel box change, taller amount digits
  and dot-matrix glyphs, aligned on the ink's centre and refined by one-pixel shifts;
- aligned double quantisation (``requant``, ``dq_``): a bill saved as JPEG, edited and
  saved again keeps the first compression's lattice of DCT values in every block left
  alone; windows of 2x2 blocks far off it are pixels that were not there at the first save;
- the file: EXIF software tags of editors, JPEG quality from its tables, PNG.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter, ImageOps

from chalicelib.bills import requant, twins

FEATURES = (
    "ela_mean",
    "ela_p99",
    "ela_block_z_max",
    "ela_block_z_top5",
    "ela_ratio_z_max",
    "ela95_block_z_max",
    "noise_median",
    "noise_z_max",
    "noise_z_top5",
    "noise_cv",
    "grid_strength",
    "grid_disagree",
    "grid_region_z",
    "dct_periodicity",
    "copy_move_max",
    "copy_move_share",
    "editor_software",
    "has_exif",
    "jpeg_quality",
    "is_png",
    "megapixels",
    "ela8_z_max",
    "ela8_z_top3",
    "ela8q75_z_max",
    "blocky8_z_max",
    "glyph_ink_z",
    "glyph_sharp_z",
    "glyph_paper_z",
    "glyph_ink_top3",
    "glyph_sharp_top3",
    "glyph_paper_top3",
    "dup_cluster",
    "dup_best_ratio",
    "dup_min_distance",
    "noise8_z_max",
    "noise8_low_z",
    "ghost_z_max",
    "ghost_z_top3",
    "glyph_ela_z",
    "glyph_ela_top3",
    "glyph_noise_z",
    "glyph_grid_z",
    *twins.NAMES,
    *twins.NAMES3,
    *requant.NAMES,
    *requant.NAMES_ALL,
)
EDITORS = (
    "photoshop",
    "gimp",
    "paint",
    "pixelmator",
    "snapseed",
    "picsart",
    "canva",
    "affinity",
    "lightroom",
    "editor",
    "fotor",
    "pixlr",
    "inpaint",
)
Array = NDArray[np.float32]
BLOCK = 16


def _gray(image: Image.Image) -> Array:
    return np.asarray(image.convert("L"), dtype=np.float32)


def _blocks(values: Array, size: int = BLOCK) -> Array:
    h, w = values.shape[0] // size * size, values.shape[1] // size * size
    trimmed = values[:h, :w]
    return np.asarray(
        trimmed.reshape(h // size, size, w // size, size).mean(axis=(1, 3)), np.float32
    )


def _robust_z(values: Array) -> Array:
    flat = values.ravel()
    if flat.size == 0:
        return flat
    med = float(np.median(flat))
    mad = float(np.median(np.abs(flat - med))) * 1.4826
    # floors: a clean white scan has a MAD of ~0, which would make every speck infinite
    return (flat - med) / (mad + 0.1 * abs(med) + 0.05)


def _top(values: Array, k: int) -> float:
    if values.size == 0:
        return 0.0
    k = min(k, values.size)
    return float(np.mean(np.partition(values, -k)[-k:]))


def _resaved(image: Image.Image, quality: int) -> Array:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return _gray(Image.open(buffer))


def _texture(gray: Array) -> Array:
    gx = np.abs(np.diff(gray, axis=1, append=gray[:, -1:]))
    gy = np.abs(np.diff(gray, axis=0, append=gray[-1:, :]))
    return np.asarray(gx + gy, np.float32)


def _highpass(gray: Array) -> Array:
    """|Laplacian| / 4: the noise (and ink edges) left after the local mean."""
    padded = np.pad(gray, 1, mode="edge")
    neighbours = padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]
    return np.asarray(np.abs(4.0 * gray - neighbours) / 4.0, np.float32)


def _grid_phase(gray: Array) -> tuple[float, int, Array]:
    """Strength and phase of the 8-pixel block grid, overall and per 64-pixel region."""
    dx = np.abs(np.diff(gray, axis=1))
    columns = dx.mean(axis=0)
    usable = columns.size // 8 * 8
    per_phase = columns[:usable].reshape(-1, 8).mean(axis=0)
    phase = int(np.argmax(per_phase))
    strength = float(per_phase[phase] / (np.median(per_phase) + 1e-3))
    region = 64
    h, w = dx.shape[0] // region * region, dx.shape[1] // region * region
    if h == 0 or w == 0:
        return strength, phase, np.zeros((0,), np.float32)
    tiles = dx[:h, :w].reshape(h // region, region, w // region, region).mean(axis=1)
    tiles = tiles.reshape(h // region, w // region, region // 8, 8).mean(axis=2)  # phase means
    local = tiles.argmax(axis=2)
    contrast = tiles.max(axis=2) / (np.median(tiles, axis=2) + 1e-3)
    disagree = (local != phase) & (contrast > 1.15)
    return strength, phase, np.asarray([disagree.mean(), *contrast.ravel()], np.float32)


def _dct_periodicity(gray: Array) -> float:
    """Double JPEG compression leaves periodic holes in the histogram of a DCT coefficient."""
    h, w = gray.shape[0] // 8 * 8, gray.shape[1] // 8 * 8
    blocks = (gray[:h, :w] - 128.0).reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)
    n = np.arange(8)
    basis = np.cos((2 * n[None, :] + 1) * n[:, None] * np.pi / 16).astype(np.float32)
    basis[0] *= np.sqrt(1 / 2)
    basis *= 0.5
    scores = []
    for u, v in ((0, 1), (1, 0), (1, 1)):
        coeffs = np.einsum("ijab,a,b->ij", blocks, basis[u], basis[v]).ravel()
        hist, _ = np.histogram(np.round(coeffs), bins=np.arange(-40.5, 41.5))
        hist = hist.astype(np.float32)
        hist[40] = 0.0  # the zero bin dominates
        spectrum = np.abs(np.fft.rfft(hist - hist.mean()))
        if spectrum[1:].sum() > 0:
            scores.append(float(spectrum[3:].max() / (spectrum[1:].mean() + 1e-3)))
    return float(np.mean(scores)) if scores else 0.0


def _copy_move(gray: Array) -> tuple[float, float]:
    """Textured 8x8 blocks (stride 4) that recur exactly, counted per shift: a moved region
    repeats many blocks at one shift; print repeats glyphs at scattered ones."""
    step = 4
    h, w = gray.shape
    if h < 32 or w < 32:
        return 0.0, 0.0
    # 2x2 means of each 8x8 block at stride 4, from 4x4 cell means
    cells = gray[: h // step * step, : w // step * step]
    cells = cells.reshape(h // step, step, w // step, step).mean(axis=(1, 3))
    a, b = cells[:-1, :-1], cells[:-1, 1:]
    c, d = cells[1:, :-1], cells[1:, 1:]
    feats = np.stack([a, b, c, d], axis=-1)
    spread = feats.max(axis=-1) - feats.min(axis=-1)
    ys, xs = np.nonzero(spread > 40)
    if ys.size < 10:
        return 0.0, 0.0
    quantized = np.round(feats[ys, xs] / 12).astype(np.int32)
    keys = (
        quantized[:, 0] * 1_000_000
        + quantized[:, 1] * 10_000
        + quantized[:, 2] * 100
        + quantized[:, 3]
    )
    order = np.argsort(keys, kind="stable")
    keys, ys, xs = keys[order], ys[order], xs[order]
    boundaries = np.flatnonzero(np.diff(keys)) + 1
    counts: dict[tuple[int, int], int] = {}
    for group in np.split(np.arange(keys.size), boundaries):
        if group.size < 2 or group.size > 12:
            continue
        for i in range(group.size):
            for j in range(i + 1, group.size):
                dy = int(ys[group[j]] - ys[group[i]])
                dx = int(xs[group[j]] - xs[group[i]])
                if dy < 0 or (dy == 0 and dx < 0):
                    dy, dx = -dy, -dx
                if abs(dy) + abs(dx) >= 4:
                    counts[(dy, dx)] = counts.get((dy, dx), 0) + 1
    if not counts:
        return 0.0, 0.0
    best = max(counts.values())
    return float(best), float(best / ys.size)


def _binned_z(values: Array, by: Array, bins: int = 8) -> Array:
    """Each value's robust z among blocks of similar ``by`` (texture): an edit stands out
    from blocks like it, not from the whole image."""
    flat, key = values.ravel(), by.ravel()
    if flat.size < bins * 4:
        return _robust_z(flat)
    edges = np.quantile(key, np.linspace(0, 1, bins + 1)[1:-1])
    which = np.searchsorted(edges, key)
    out = np.zeros_like(flat)
    for b in range(bins):
        mask = which == b
        if mask.any():
            out[mask] = _robust_z(flat[mask])
    return out


def _blockiness8(gray: Array) -> Array:
    """Per 8x8 block: the step across its left and top edges over the steps inside it."""
    h, w = gray.shape[0] // 8 * 8, gray.shape[1] // 8 * 8
    g = gray[:h, :w]
    dx = np.abs(np.diff(g, axis=1, prepend=g[:, :1]))
    dy = np.abs(np.diff(g, axis=0, prepend=g[:1, :]))
    bx = dx.reshape(h // 8, 8, w // 8, 8)
    by = dy.reshape(h // 8, 8, w // 8, 8)
    edge = bx[:, :, :, 0].mean(axis=1) + by[:, 0, :, :].mean(axis=2)
    inner = bx[:, :, :, 1:].mean(axis=(1, 3)) + by[:, 1:, :, :].mean(axis=(1, 3))
    return np.asarray((edge + 0.5) / (inner + 0.5), np.float32)


def _glyphs(gray: Array) -> tuple[Array, Array, Array]:
    """Robust z of each printed mark's ink level, edge sharpness and surrounding paper."""
    from chalicelib.bills import imaging as cv2  # OpenCV's calls in numpy: no OpenCV on AWS

    image = np.clip(gray, 0, 255).astype(np.uint8)
    _, ink = cv2.threshold(image, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count < 12:
        empty = np.zeros((0,), np.float32)
        return empty, empty, empty
    grad = np.hypot(
        cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    )
    flat_labels = labels.ravel()
    area = np.bincount(flat_labels, minlength=count).astype(np.float32)
    ink_sum = np.bincount(flat_labels, weights=gray.ravel(), minlength=count)
    grad_sum = np.bincount(flat_labels, weights=grad.ravel(), minlength=count)
    paper = (ink == 0).astype(np.float64)
    paper_values = np.pad(np.cumsum(np.cumsum(gray * paper, 0), 1), ((1, 0), (1, 0)))
    paper_count = np.pad(np.cumsum(np.cumsum(paper, 0), 1), ((1, 0), (1, 0)))
    x, y, w, h = (stats[:, i] for i in range(4))
    x0, y0 = np.maximum(x - 2, 0), np.maximum(y - 2, 0)
    x1, y1 = np.minimum(x + w + 2, gray.shape[1]), np.minimum(y + h + 2, gray.shape[0])

    def box_sum(table: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0])

    keep = (area >= 6) & (area <= 3000) & (h >= 5) & (h <= 120)
    keep[0] = False
    if keep.sum() < 12:
        empty = np.zeros((0,), np.float32)
        return empty, empty, empty
    ink_level = ink_sum[keep] / area[keep]
    paper_level = box_sum(paper_values)[keep] / np.maximum(box_sum(paper_count)[keep], 1.0)
    contrast = np.maximum(paper_level - ink_level, 1.0)
    sharp = grad_sum[keep] / area[keep] / contrast
    return (
        np.abs(_robust_z(ink_level.astype(np.float32))),
        np.abs(_robust_z(sharp.astype(np.float32))),
        np.abs(_robust_z(paper_level.astype(np.float32))),
    )


def _duplicates(gray: Array) -> tuple[float, float, float]:
    """Near-exact repeats of small textured blocks at a displacement (copy-move of a digit).

    Every 8x8 block with ink in it (stride 1: a copy lands at any displacement), mean and
    contrast removed, is sorted by coarse low-frequency DCT coefficients and compared with
    its next neighbours in that order. A copied digit gives a cluster of block pairs at one
    displacement that differ only by the re-compression, and one partner each (its source);
    print repeats a glyph, a rule or a dash many times about equally well (Lowe's ratio
    test drops those). Returns the size of the largest such cluster, the image's typical
    nearest-repeat distance over the cluster's (high = suspicious), and the third smallest
    distance over the typical one."""
    size, window = 8, 10
    h, w = gray.shape
    if h < 4 * size or w < 4 * size:
        return 0.0, 0.0, 1.0
    windows = np.lib.stride_tricks.sliding_window_view
    view = windows(gray, (size, size))
    _rows, cols = view.shape[:2]
    hi = windows(windows(gray, size, axis=1).max(-1), size, axis=0).max(-1)
    lo = windows(windows(gray, size, axis=1).min(-1), size, axis=0).min(-1)
    keep = np.flatnonzero((hi - lo).ravel() > 60)
    if keep.size < 20:
        return 0.0, 0.0, 1.0
    if keep.size > 200_000:  # bounded work on very large images
        keep = keep[:200_000]
    blocks = view[keep // cols, keep % cols].reshape(keep.size, size * size)
    vectors = blocks - blocks.mean(axis=1, keepdims=True)
    unit = (vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-3)).astype(np.float32)
    n = np.arange(size)
    basis = np.cos((2 * n[None, :] + 1) * n[:, None] * np.pi / (2 * size)).astype(np.float32)
    frequencies = [(0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (2, 1), (1, 2), (2, 2)]
    coeffs = unit @ np.stack([np.outer(basis[u], basis[v]).ravel() for u, v in frequencies], 1)
    order = np.lexsort(tuple(np.round(coeffs[:, i] * 4) for i in range(3, -1, -1)))
    ys, xs = keep // cols, keep % cols
    owners, distances, shifts = [], [], []
    for offset in range(1, window + 1):
        a, b = order[:-offset], order[offset:]
        dy, dx = ys[b] - ys[a], xs[b] - xs[a]
        # cheap first: low frequencies close, blocks not overlapping
        near = (np.abs(coeffs[a] - coeffs[b]).sum(axis=1) < 0.5) & (
            (np.abs(dy) >= size) | (np.abs(dx) >= size)
        )
        a, b, dy, dx = a[near], b[near], dy[near], dx[near]
        distance = np.linalg.norm(unit[a] - unit[b], axis=1)
        flip = (dy < 0) | ((dy == 0) & (dx < 0))
        shift = np.where(flip, -dy, dy) * 8192 + np.where(flip, -dx, dx)
        owners += [a, b]
        distances += [distance, distance]
        shifts += [shift, shift]
    owner = np.concatenate(owners)
    if owner.size < 10:
        return 0.0, 0.0, 1.0
    dist = np.concatenate(distances).astype(np.float32)
    shift_key = np.concatenate(shifts)
    ranked = np.lexsort((dist, owner))
    owner, dist, shift_key = owner[ranked], dist[ranked], shift_key[ranked]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    best = dist[starts]
    best_key = shift_key[starts]
    second = np.full(starts.size, np.inf, np.float32)
    has_second = np.r_[starts[1:], owner.size] - starts > 1
    second[has_second] = dist[starts[has_second] + 1]
    typical = float(np.median(best))
    third = float(np.partition(best, 2)[2]) / (typical + 1e-3)
    # one near-exact partner (its source), not a glyph printed many times about as well
    distinct = best < 0.6 * np.where(np.isfinite(second), second, 10.0 * typical + 1.0)
    close = distinct & (best < 0.5 * typical)
    if not close.any():
        return 0.0, 0.0, third
    keys = best_key[close]
    values, counts = np.unique(keys, return_counts=True)
    cluster = best[close][keys == values[np.argmax(counts)]]
    return (
        float(counts.max()),
        float(typical / (float(np.median(cluster)) + 0.01 * typical + 1e-3)),
        third,
    )


def _median3(gray: Array) -> Array:
    image = Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))
    return np.asarray(image.filter(ImageFilter.MedianFilter(3)), np.float32)


def _ghost(gray: Array, image: Image.Image, texture8: Array) -> Array:
    """Per 8x8 block: its error curve over re-save qualities, scaled to the block's own
    largest error, as a robust z of the distance to the curve of blocks of its texture."""
    curves = []
    for quality in (50, 65, 80, 95):
        curves.append(_blocks((gray - _resaved(image, quality)) ** 2, 8).ravel())
    stack = np.stack(curves, axis=1)
    shape = stack / (stack.max(axis=1, keepdims=True) + 1.0)
    key = texture8.ravel()
    bins = 8
    edges = np.quantile(key, np.linspace(0, 1, bins + 1)[1:-1]) if key.size >= 32 else np.zeros(0)
    which = np.searchsorted(edges, key)
    distance = np.zeros(key.size, np.float32)
    for b in range(bins):
        mask = which == b
        if mask.any():
            centre = np.median(shape[mask], axis=0)
            distance[mask] = np.abs(shape[mask] - centre).sum(axis=1)
    return _binned_z(distance, texture8.ravel())


def _glyph_local(gray: Array, ela: Array, residual: Array) -> tuple[Array, Array, Array]:
    """Per printed mark (a connected ink component of character size): its error level
    over its contrast, the noise of the paper in its box, and its box's 8x8 blockiness,
    each as |robust z| among the marks."""
    from chalicelib.bills import imaging as cv2  # OpenCV's calls in numpy: no OpenCV on AWS

    image = np.clip(gray, 0, 255).astype(np.uint8)
    _, ink = cv2.threshold(image, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    empty = np.zeros((0,), np.float32)
    if count < 12:
        return empty, empty, empty
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    keep = (area >= 6) & (area <= 3000) & (h >= 5) & (h <= 120) & (w <= 120)
    if keep.sum() < 12:
        return empty, empty, empty
    if keep.sum() > 4000:  # bounded work: the first 4000 marks (top of the bill)
        keep[np.flatnonzero(keep)[4000:]] = False
    paper = ink == 0
    dx = np.abs(np.diff(gray, axis=1, append=gray[:, -1:]))
    on_grid = (np.arange(gray.shape[1]) % 8 == 7)[None, :]
    values = np.zeros((int(keep.sum()), 3), np.float32)
    for row, (cx, cy, cw, ch) in enumerate(
        zip(x[keep].tolist(), y[keep].tolist(), w[keep].tolist(), h[keep].tolist(), strict=True)
    ):
        ys = slice(max(cy - 2, 0), cy + ch + 2)
        xs = slice(max(cx - 2, 0), cx + cw + 2)
        box_paper, box_gray = paper[ys, xs], gray[ys, xs]
        if box_paper.all() or not box_paper.any():
            continue
        contrast = max(float(box_gray[box_paper].mean() - box_gray[~box_paper].mean()), 8.0)
        values[row, 0] = float(ela[ys, xs].mean()) / contrast
        values[row, 1] = float(residual[ys, xs][box_paper].mean())
        # blockiness: steps across 8-pixel grid lines in the box over the other steps
        steps, grid = dx[ys, xs], np.broadcast_to(on_grid[:, xs], box_paper.shape)
        if grid.any() and not grid.all():
            values[row, 2] = float((steps[grid].mean() + 0.5) / (steps[~grid].mean() + 0.5))
    ela_level, paper_noise, grid = values[:, 0], values[:, 1], values[:, 2]
    return (
        np.abs(_robust_z(ela_level.astype(np.float32))),
        np.abs(_robust_z(paper_noise.astype(np.float32))),
        np.abs(_robust_z(grid.astype(np.float32))),
    )


def _exif(image: Image.Image) -> tuple[float, float]:
    exif = image.getexif()
    software = str(exif.get(0x0131, "")) + " " + str(image.info.get("Software", ""))
    editor = float(any(name in software.lower() for name in EDITORS))
    return editor, float(len(exif) > 0)


def _jpeg_quality(image: Image.Image) -> float:
    tables: dict[int, Any] = getattr(image, "quantization", None) or {}
    if not tables:
        return 100.0
    luminance = np.asarray(list(tables[min(tables)]), dtype=np.float32)
    mean = float(luminance.mean())
    # libjpeg's standard table averages ~57.6 at quality 50 and scales linearly around it
    scale = mean / 57.625 * 100.0
    return float(np.clip(200.0 - scale if scale <= 100 else 5000.0 / scale, 1, 100) / 100.0)


def features(data: bytes, wanted: Iterable[str] | None = None) -> NDArray[np.float32]:
    """The feature vector (``FEATURES`` order) of an image file's bytes. With ``wanted``
    (a model's features), the costlier groups no name asks for are skipped and left 0."""
    asked = set(FEATURES if wanted is None else wanted)

    def needed(prefix: str) -> bool:
        return any(name.startswith(prefix) for name in asked)

    opened = Image.open(io.BytesIO(data))
    opened.load()
    fmt = opened.format or ""
    editor, has_exif = _exif(opened)
    quality = _jpeg_quality(opened)
    image: Image.Image = ImageOps.exif_transpose(opened) or opened
    gray = _gray(image)
    texture_blocks = _blocks(_texture(gray))

    ela = np.abs(gray - _resaved(image, 90))
    ela_blocks = _blocks(ela)
    z = _robust_z(ela_blocks)
    ratio = _robust_z(ela_blocks / (texture_blocks + 4.0))
    ela95 = _robust_z(_blocks(np.abs(gray - _resaved(image, 95))))

    residual = _highpass(gray)
    noise = _blocks(residual)
    flat = texture_blocks < np.percentile(texture_blocks, 60)
    flat_noise = noise[flat] if flat.any() else noise.ravel()
    noise_z = _robust_z(flat_noise)

    strength, _, grid = _grid_phase(gray)
    disagree = float(grid[0]) if grid.size else 0.0
    region_z = float(_robust_z(grid[1:]).max()) if grid.size > 2 else 0.0

    copy_max, copy_share = _copy_move(gray)
    texture8 = _blocks(_texture(gray), 8)
    ela8 = _binned_z(_blocks(ela, 8), texture8)
    ela8q75 = _binned_z(_blocks(np.abs(gray - _resaved(image, 75)), 8), texture8)
    blocky = _binned_z(_blockiness8(gray), texture8)
    glyph_ink, glyph_sharp, glyph_paper = _glyphs(gray)
    empty = np.zeros((0,), np.float32)
    dup_cluster, dup_ratio, dup_min = _duplicates(gray) if needed("dup_") else (0.0, 0.0, 0.0)
    noise8 = (
        _binned_z(_blocks(np.abs(gray - _median3(gray)), 8), texture8)
        if needed("noise8_")
        else empty
    )
    ghost = _ghost(gray, image, texture8) if needed("ghost_") else empty
    glyph_ela, glyph_noise, glyph_grid = (
        _glyph_local(gray, ela, residual)
        if needed("glyph_ela") or needed("glyph_noise") or needed("glyph_grid")
        else (empty, empty, empty)
    )
    twin_values = twins.features(gray) if needed("twin_") else [0.0] * len(twins.NAMES)
    twin3_values = twins.features3(gray) if needed("twin3_") else [0.0] * len(twins.NAMES3)
    dq_values = requant.features(data) if needed("dq_") else [0.0] * len(requant.NAMES)
    dqa_values = (
        requant.features(data, requant.ALL_AC) if needed("dqa_") else [0.0] * len(requant.NAMES_ALL)
    )
    values = [
        float(ela.mean()),
        float(np.percentile(ela, 99)),
        float(z.max()) if z.size else 0.0,
        _top(z, 5),
        float(ratio.max()) if ratio.size else 0.0,
        float(ela95.max()) if ela95.size else 0.0,
        float(np.median(flat_noise)),
        float(noise_z.max()) if noise_z.size else 0.0,
        _top(noise_z, 5),
        float(flat_noise.std() / (flat_noise.mean() + 1e-3)),
        strength,
        disagree,
        region_z,
        _dct_periodicity(gray),
        copy_max,
        copy_share,
        editor,
        has_exif,
        quality,
        float(fmt == "PNG"),
        gray.size / 1e6,
        float(ela8.max()) if ela8.size else 0.0,
        _top(ela8, 3),
        float(ela8q75.max()) if ela8q75.size else 0.0,
        float(blocky.max()) if blocky.size else 0.0,
        float(glyph_ink.max()) if glyph_ink.size else 0.0,
        float(glyph_sharp.max()) if glyph_sharp.size else 0.0,
        float(glyph_paper.max()) if glyph_paper.size else 0.0,
        _top(glyph_ink, 3),
        _top(glyph_sharp, 3),
        _top(glyph_paper, 3),
        dup_cluster,
        dup_ratio,
        dup_min,
        float(noise8.max()) if noise8.size else 0.0,
        float(-noise8.min()) if noise8.size else 0.0,
        float(ghost.max()) if ghost.size else 0.0,
        _top(ghost, 3),
        float(glyph_ela.max()) if glyph_ela.size else 0.0,
        _top(glyph_ela, 3),
        float(glyph_noise.max()) if glyph_noise.size else 0.0,
        float(glyph_grid.max()) if glyph_grid.size else 0.0,
        *twin_values,
        *twin3_values,
        *dq_values,
        *dqa_values,
    ]
    return np.asarray(values, dtype=np.float32)


def perceptual_hash(data: bytes) -> int:
    """A 64-bit DCT hash (pHash) of the image: near-duplicates differ in a few bits."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))) or Image.open(io.BytesIO(data))
    small = np.asarray(image.convert("L").resize((32, 32), Image.Resampling.LANCZOS), np.float32)
    n = np.arange(32)
    basis = np.cos((2 * n[None, :] + 1) * n[:, None] * np.pi / 64).astype(np.float32)
    dct = basis @ small @ basis.T
    low = dct[:8, :8].ravel()
    bits = low > np.median(low[1:])
    return int("".join("1" if bit else "0" for bit in bits), 2)
