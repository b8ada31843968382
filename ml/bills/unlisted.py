"""Edits the tampering generator (``ml.bills.tamper``) never makes, for a robustness probe of
the shipped authenticity model: ``python -m ml.bills.unlisted DATA OUT [--part held-out]``
writes a labelled set (``images/`` + ``authenticity.csv``) that ``make eval-authenticity
DATA=OUT`` reads. Nothing is trained or chosen on it: it says how the model does on
kinds of edit it has never seen, the case of the issue's private set.

Each receipt gives its original and a re-save (genuine) and one image per edit below, every
one saved as JPEG at the generator's qualities:

- ``smudge``: a run of digits blurred (a smudged or re-touched figure);
- ``levels``: an amount's contrast and brightness changed (ink lightened, paper whitened);
- ``noise``: grain added over an amount (a scan-like texture over an edit);
- ``stroke``: a pen stroke of the receipt's ink colour across one digit (1 → 4, 3 → 8);
- ``clone_paper``: a digit covered by real paper copied from elsewhere on the receipt
  (an erase with the paper's texture, not a flat colour);
- ``swap``: two digits of one amount exchanged (their pixels swapped in place).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from ml.bills.tamper import (
    QUALITIES,
    TextLine,
    _digit_run,
    _fit,
    _run_box,
    digit_boxes,
    glyph_box,
    ink_colour,
    lines_of,
    receipts,
    save_jpeg,
    write_listing,
)


def _amount_box(
    image: Image.Image, lines: list[TextLine], rng: random.Random, most: int
) -> tuple[int, int, int, int] | None:
    """The box of a run of up to ``most`` digits of an amount or a date (None: none)."""
    digits = digit_boxes(lines)
    if not digits:
        return None
    box = _fit(_run_box(*_digit_run(digits, rng, most)), image.size)
    return box if box[2] - box[0] >= 2 and box[3] - box[1] >= 2 else None


def smudge(image: Image.Image, lines: list[TextLine], rng: random.Random) -> bool:
    box = _amount_box(image, lines, rng, 3)
    if box is None:
        return False
    region = image.crop(box).filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.8)))
    image.paste(region, box[:2])
    return True


def levels(image: Image.Image, lines: list[TextLine], rng: random.Random) -> bool:
    box = _amount_box(image, lines, rng, 4)
    if box is None:
        return False
    region = ImageEnhance.Contrast(image.crop(box)).enhance(rng.uniform(0.5, 0.8))
    region = ImageEnhance.Brightness(region).enhance(rng.uniform(1.05, 1.2))
    image.paste(region, box[:2])
    return True


def noise(image: Image.Image, lines: list[TextLine], rng: random.Random) -> bool:
    box = _amount_box(image, lines, rng, 4)
    if box is None:
        return False
    pixels = np.asarray(image.crop(box).convert("RGB"), np.float32)
    grain = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(6, 14), pixels.shape)
    image.paste(Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8)), box[:2])
    return True


def stroke(image: Image.Image, lines: list[TextLine], rng: random.Random) -> bool:
    digits = digit_boxes(lines)
    if not digits:
        return False
    line, index = rng.choice(digits)
    x0, y0, x1, y1 = _fit(glyph_box(image, line, index), image.size)
    if x1 - x0 < 2 or y1 - y0 < 4:
        return False
    ink = ink_colour(image, (x0, y0, x1, y1))
    draw = ImageDraw.Draw(image)
    if rng.random() < 0.5:  # a vertical bar at one side
        x = rng.choice((x0 + 1, x1 - 1))
        draw.line((x, y0 + 1, x, y1 - 1), fill=ink, width=rng.choice((1, 2)))
    else:  # a bar across the middle
        y = (y0 + y1) // 2
        draw.line((x0, y, x1, y), fill=ink, width=rng.choice((1, 2)))
    return True


def clone_paper(image: Image.Image, lines: list[TextLine], rng: random.Random) -> bool:
    digits = digit_boxes(lines)
    if not digits:
        return False
    line, index = rng.choice(digits)
    x0, y0, x1, y1 = _fit(glyph_box(image, line, index), image.size)
    w, h = x1 - x0 + 2, y1 - y0 + 2
    if w < 3 or h < 3:
        return False
    gray = np.asarray(image.convert("L"), np.float32)
    for _ in range(200):  # a blank stretch of paper of the same size: bounded search
        sx, sy = rng.randrange(0, image.size[0] - w), rng.randrange(0, image.size[1] - h)
        patch = gray[sy : sy + h, sx : sx + w]
        if patch.min() > gray.mean() and patch.std() < 12:
            image.paste(image.crop((sx, sy, sx + w, sy + h)), (x0 - 1, y0 - 1))
            return True
    return False


def swap(image: Image.Image, lines: list[TextLine], rng: random.Random) -> bool:
    digits = digit_boxes(lines)
    pairs = [
        (line, i)
        for line, i in digits
        if i + 1 < len(line.text)
        and line.text[i + 1].isdigit()
        and line.text[i] != line.text[i + 1]
    ]
    if not pairs:
        return False
    line, index = rng.choice(pairs)
    first = _fit(glyph_box(image, line, index), image.size)
    second = _fit(glyph_box(image, line, index + 1), image.size)
    if min(first[2] - first[0], second[2] - second[0]) < 2:
        return False
    a, b = image.crop(first), image.crop(second)
    image.paste(b.resize(a.size), first[:2])
    image.paste(a.resize(b.size), second[:2])
    return True


METHODS = {
    "smudge": smudge,
    "levels": levels,
    "noise": noise,
    "stroke": stroke,
    "clone_paper": clone_paper,
    "swap": swap,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--part", choices=("development", "held-out", "all"), default="held-out")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument(
        "--methods", default=",".join(METHODS), help="comma-separated edits (default: all six)"
    )
    args = parser.parse_args(argv)
    chosen = {name: METHODS[name] for name in args.methods.split(",")}
    images = receipts(args.data, args.part)
    out_images = args.out / "images"
    out_images.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    for number, path in enumerate(images, 1):
        rng = random.Random(f"{args.seed}:{path.stem}")
        shutil.copyfile(path, out_images / path.name)
        rows.append((path.stem, "genuine", "original", path.stem))
        original = Image.open(path).convert("RGB")
        (out_images / f"{path.stem}__resave.jpg").write_bytes(
            save_jpeg(original, rng.choice(QUALITIES))
        )
        rows.append((f"{path.stem}__resave", "genuine", "resave", path.stem))
        lines = lines_of(args.data / "boxes" / f"{path.stem}.csv")
        for method, edit in chosen.items():
            image = original.copy()
            if not edit(image, lines, rng):
                continue
            stem = f"{path.stem}__{method}"
            (out_images / f"{stem}.jpg").write_bytes(save_jpeg(image, rng.choice(QUALITIES)))
            rows.append((stem, "tampered", method, path.stem))
        print(f"\r{number}/{len(images)} receipts", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    write_listing(args.out, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
