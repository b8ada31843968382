"""Make an authenticity set from genuine receipts: the genuine images, benign variants of
them, and tampered variants, laid out as `make eval-authenticity` reads it
(`OUT/images/`, `OUT/authenticity.csv` with stem,label,method,source).

Tampering methods (each a whole group in the cross-validation that holds methods out):
- ``digit_paste``: one digit of an amount or date replaced by another digit's pixels copied
  from elsewhere on the same receipt (the commonest real forgery);
- ``copy_move``: a word-sized region copied to another place on the same receipt;
- ``splice``: a digit or word pasted in from another receipt;
- ``erase``: a digit or word painted over with the paper's colour;
- ``retype``: an amount painted over and typed anew with a font;
- ``digit_copy``: one to three digits copied pixel for pixel (no resampling) from another
  amount or date of the same receipt onto a digit, off the 8x8 JPEG grid;
- ``scaled_paste``: a digit or two from the same receipt, scaled by 0.8-1.25 (the
  resampling leaves interpolation traces), pasted onto a digit;
- ``requantized``: a digit patch taken from a copy of the same receipt saved at JPEG
  quality 30-60 and shifted a few pixels (another compression history and grid);
- ``inpaint``: a digit removed by inpainting its strokes from the paper around them;
- ``font_digit``: one digit painted over and drawn again with a TrueType font in the
  receipt's ink colour, antialiased.
Benign variants, labelled genuine (a bill photographed, cropped or re-saved is still the
same bill; the model must not learn "was re-saved" as "was edited"): ``resave`` (JPEG at
quality 70-95), ``crop`` (margins trimmed). ``duplicate`` (a small rotation and scale of
another genuine receipt, re-saved) is labelled genuine too: duplicates are caught by the
perceptual-hash lookup, not by the pixels. Every tampered image is saved as JPEG at a
quality drawn from the same range as ``resave``, so the saving alone tells nothing.
Whole-image processing is not editing either: ``rescale`` (down to 60-90 %, as a phone
app or a messenger does), ``enhance`` (contrast, brightness, gamma, sometimes sharpened)
and ``resave_twice`` (two JPEG generations) are genuine too, so that the model learns
"one region differs from the rest", not "the image was processed". (The set labels them
so; since v7 the training leaves out the genuine variants saved again over their first
compression, ``resave``, ``resave_twice``, ``enhance`` and ``crop``: double compression is
a sign of editing. ``train_authenticity.RECOMPRESSED``.)
Post-edit variants (``--post-share``, 0 by default so older sets are unchanged): a share of
the tampered images, and as many re-saved genuine ones, processed AFTER the edit —
``crop`` (a few pixels trimmed so the 8x8 grid moves) or ``rescale`` (60-90 %) — of the
edited image as it is or of its saved JPEG, then saved as JPEG 70-95. They keep their edit
method in ``method`` (so the cross-validation still holds out whole edit methods) and name
the processing in the extra column ``post`` (empty for every other row); drawn from their
own random stream, after everything else.

Line positions come from the receipts' ground-truth OCR boxes (``boxes/``).
Usage: python -m ml.bills.tamper DATA OUT [--part development|held-out|all] [--post-share F]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from ml.bills.split import part

TAMPERED = (
    "digit_paste",
    "copy_move",
    "splice",
    "erase",
    "retype",
    "digit_copy",
    "scaled_paste",
    "requantized",
    "inpaint",
    "font_digit",
)
BENIGN = ("resave", "crop", "duplicate")
# drawn from their own random stream, after the tampered variants (older sets keep theirs)
PROCESSED = ("rescale", "enhance", "resave_twice")
QUALITIES = (70, 75, 80, 85, 90, 95)
POST = ("crop", "crop", "rescale")  # crops twice as often: the grid moves, the lattice stays


@dataclass(frozen=True)
class TextLine:
    text: str
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def char_width(self) -> float:
        return (self.x1 - self.x0) / max(len(self.text), 1)

    def char_box(self, index: int) -> tuple[int, int, int, int]:
        cw = self.char_width
        return (
            int(self.x0 + index * cw),
            self.y0,
            max(int(self.x0 + (index + 1) * cw), int(self.x0 + index * cw) + 2),
            self.y1,
        )


def lines_of(boxes: Path) -> list[TextLine]:
    out: list[TextLine] = []
    if not boxes.exists():
        return out
    with boxes.open(encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if len(row) < 9:
                continue
            try:
                xs = [int(float(v)) for v in row[0:8:2]]
                ys = [int(float(v)) for v in row[1:8:2]]
            except ValueError:
                continue
            text = ",".join(row[8:])
            if max(xs) - min(xs) > 4 and max(ys) - min(ys) > 4 and text.strip():
                out.append(TextLine(text, min(xs), min(ys), max(xs), max(ys)))
    return out


def digit_boxes(lines: list[TextLine]) -> list[tuple[TextLine, int]]:
    """(line, index) of every digit in amounts and dates."""
    found = []
    for line in lines:
        if re.search(r"\d+[.,]\d{2}|\d{1,2}[/-]\d{1,2}[/-]\d{2,4}", line.text):
            found += [(line, i) for i, ch in enumerate(line.text) if ch.isdigit()]
    return found


def save_jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def paper_colour(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, ...]:
    x0, y0, x1, y1 = box
    ring = image.crop((max(0, x0 - 6), max(0, y0 - 6), x1 + 6, y1 + 6)).convert("RGB")
    pixels = sorted(ring.getdata(), key=sum)
    colour: tuple[int, ...] = pixels[int(len(pixels) * 0.8)]  # the light end: paper, not ink
    return colour


def _fit(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return (max(0, x0), max(0, y0), min(size[0], x1), min(size[1], y1))


def digit_paste(image: Image.Image, lines: list[TextLine], rng: random.Random, **_: object) -> bool:
    digits = digit_boxes(lines)
    if len(digits) < 2:
        return False
    target_line, target = rng.choice(digits)
    candidates = [(line, i) for line, i in digits if line.text[i] != target_line.text[target]]
    if not candidates:
        return False
    source_line, source = rng.choice(candidates)
    src = _fit(source_line.char_box(source), image.size)
    dst = _fit(target_line.char_box(target), image.size)
    patch = image.crop(src).resize((max(1, dst[2] - dst[0]), max(1, dst[3] - dst[1])))
    image.paste(patch, dst[:2])
    return True


def copy_move(image: Image.Image, lines: list[TextLine], rng: random.Random, **_: object) -> bool:
    if len(lines) < 2:
        return False
    source = rng.choice(lines)
    length = rng.randint(2, max(2, min(8, len(source.text))))
    start = rng.randint(0, max(0, len(source.text) - length))
    x0, y0, _x1, y1 = source.char_box(start)
    x1 = source.char_box(start + length - 1)[2]
    patch = image.crop(_fit((x0, y0, x1, y1), image.size))
    target = rng.choice([line for line in lines if line is not source] or lines)
    image.paste(patch, (max(0, min(target.x0, image.size[0] - patch.size[0])), target.y0))
    return True


def splice(
    image: Image.Image,
    lines: list[TextLine],
    rng: random.Random,
    *,
    donor: tuple[Image.Image, list[TextLine]],
    **_: object,
) -> bool:
    donor_image, donor_lines = donor
    digits = digit_boxes(donor_lines)
    targets = digit_boxes(lines)
    if not digits or not targets:
        return False
    line, index = rng.choice(digits)
    count = rng.randint(1, 3)
    box = line.char_box(index)
    box = (box[0], box[1], line.char_box(min(index + count - 1, len(line.text) - 1))[2], box[3])
    target_line, target = rng.choice(targets)
    dst = target_line.char_box(target)
    height = max(1, dst[3] - dst[1])
    patch = donor_image.crop(_fit(box, donor_image.size))
    scale = height / max(1, patch.size[1])
    patch = patch.resize((max(1, int(patch.size[0] * scale)), height))
    image.paste(patch.convert(image.mode), dst[:2])
    return True


def erase(image: Image.Image, lines: list[TextLine], rng: random.Random, **_: object) -> bool:
    digits = digit_boxes(lines)
    if not digits:
        return False
    line, index = rng.choice(digits)
    count = rng.randint(1, 4)
    x0, y0, _x1, y1 = line.char_box(index)
    x1 = line.char_box(min(index + count - 1, len(line.text) - 1))[2]
    box = _fit((x0, y0, x1, y1), image.size)
    ImageDraw.Draw(image).rectangle(box, fill=paper_colour(image, box))
    return True


def retype(image: Image.Image, lines: list[TextLine], rng: random.Random, **_: object) -> bool:
    amounts = [line for line in lines if re.search(r"\d+\.\d{2}\s*$", line.text)]
    if not amounts:
        return False
    line = rng.choice(amounts)
    match = re.search(r"\d+\.\d{2}\s*$", line.text)
    assert match is not None
    x0, y0, _x1, y1 = line.char_box(match.start())
    box = _fit((x0, y0, line.x1, y1), image.size)
    colour = paper_colour(image, box)
    draw = ImageDraw.Draw(image)
    draw.rectangle(box, fill=colour)
    new = f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"
    size = max(8, int((y1 - y0) * 0.9))
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.load_default(size=size)
    except TypeError:
        font = ImageFont.load_default()
    ink = (40, 40, 40) if image.mode == "RGB" else 40
    draw.text((box[0], box[1]), new, fill=ink, font=font)
    if rng.random() < 0.5:
        region = image.crop(box).filter(ImageFilter.GaussianBlur(0.6))
        image.paste(region, box[:2])
    return True


def _digit_run(
    digits: list[tuple[TextLine, int]], rng: random.Random, most: int
) -> tuple[TextLine, int, int]:
    """A line, its first digit index and a count of consecutive digits (1..most)."""
    line, index = rng.choice(digits)
    count = 1
    while (
        count < most
        and index + count < len(line.text)
        and line.text[index + count].isdigit()
        and rng.random() < 0.5
    ):
        count += 1
    return line, index, count


def _run_box(line: TextLine, index: int, count: int) -> tuple[int, int, int, int]:
    x0, y0, _x1, y1 = line.char_box(index)
    return (x0, y0, line.char_box(index + count - 1)[2], y1)


def glyph_box(image: Image.Image, line: TextLine, index: int) -> tuple[int, int, int, int]:
    """The ink columns of the ``index``-th character of ``line``, when the line's ink splits
    into as many column runs as it has printed characters; else the even-width estimate."""
    box = _fit((line.x0, line.y0, line.x1, line.y1), image.size)
    crop = image.crop(box).convert("L")
    values = list(crop.getdata())
    width = crop.size[0]
    if not values or width < 2:
        return line.char_box(index)
    cut = (min(values) + max(values)) / 2
    inked = [
        any(values[row * width + col] < cut for row in range(crop.size[1])) for col in range(width)
    ]
    runs: list[tuple[int, int]] = []
    for col, on in enumerate(inked):
        if on and (not runs or runs[-1][1] != col):
            runs.append((col, col + 1))
        elif on:
            runs[-1] = (runs[-1][0], col + 1)
    printed = [i for i, ch in enumerate(line.text) if not ch.isspace()]
    if len(runs) != len(printed) or index not in printed:
        return line.char_box(index)
    start, end = runs[printed.index(index)]
    return (box[0] + start, box[1], box[0] + end, box[3])


def digit_copy(image: Image.Image, lines: list[TextLine], rng: random.Random, **_: object) -> bool:
    """A digit's pixels copied over another digit (of another line), the target glyph
    painted out first: the forgery the ICDAR 2023 study found most often."""
    digits = digit_boxes(lines)
    if len(digits) < 2:
        return False
    line, index = rng.choice(digits)
    wanted = line.text[index]
    targets = [(t, i) for t, i in digits if t is not line and t.text[i] != wanted]
    if not targets:
        return False
    source = _fit(glyph_box(image, line, index), image.size)
    source = (max(0, source[0] - 1), source[1], min(image.size[0], source[2] + 1), source[3])
    target_line, target = rng.choice(targets)
    goal = _fit(glyph_box(image, target_line, target), image.size)
    if source[2] - source[0] < 2 or goal[2] - goal[0] < 1:
        return False
    draw = ImageDraw.Draw(image)
    draw.rectangle(goal, fill=paper_colour(image, goal))
    x = (goal[0] + goal[2]) // 2 - (source[2] - source[0]) // 2
    y = goal[1] + (goal[3] - goal[1]) // 2 - (source[3] - source[1]) // 2
    image.paste(image.crop(source), (max(0, x), max(0, y)))
    return True


def scaled_paste(
    image: Image.Image, lines: list[TextLine], rng: random.Random, **_: object
) -> bool:
    digits = digit_boxes(lines)
    if len(digits) < 2:
        return False
    line, index, count = _digit_run(digits, rng, 2)
    source = _fit(_run_box(line, index, count), image.size)
    patch = image.crop(source)
    scale = rng.choice((rng.uniform(0.8, 0.93), rng.uniform(1.08, 1.25)))
    size = (max(2, round(patch.size[0] * scale)), max(2, round(patch.size[1] * scale)))
    patch = patch.resize(size, rng.choice((Image.Resampling.BILINEAR, Image.Resampling.BICUBIC)))
    target_line, target = rng.choice([d for d in digits if d[0] is not line] or digits)
    box = target_line.char_box(target)
    image.paste(patch, (box[0], max(0, box[1] - (size[1] - (box[3] - box[1])) // 2)))
    return True


def requantized(image: Image.Image, lines: list[TextLine], rng: random.Random, **_: object) -> bool:
    digits = digit_boxes(lines)
    if len(digits) < 2:
        return False
    donor = Image.open(io.BytesIO(save_jpeg(image, rng.randint(30, 60)))).convert("RGB")
    line, index, count = _digit_run(digits, rng, 2)
    source = _fit(_run_box(line, index, count), image.size)
    target_line, target = rng.choice([d for d in digits if d[0] is not line] or digits)
    x, y = target_line.char_box(target)[0] + rng.randint(1, 5), target_line.y0 + rng.randint(0, 2)
    image.paste(donor.crop(source), (x, y))
    return True


def inpaint(image: Image.Image, lines: list[TextLine], rng: random.Random, **_: object) -> bool:
    import cv2  # opencv-python (requirements-ml.txt, which training installs)
    import numpy as np

    digits = digit_boxes(lines)
    if not digits:
        return False
    line, index, count = _digit_run(digits, rng, 2)
    x0, y0, x1, y1 = _fit(_run_box(line, index, count), image.size)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return False
    pixels = np.asarray(image.convert("RGB"))
    gray = pixels[y0:y1, x0:x1].mean(axis=2)
    mask = np.zeros(pixels.shape[:2], np.uint8)
    mask[y0:y1, x0:x1] = (gray < (gray.max() + gray.min()) / 2).astype(np.uint8) * 255
    grown = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=rng.randint(1, 2))
    method = rng.choice((cv2.INPAINT_TELEA, cv2.INPAINT_NS))
    filled = cv2.inpaint(pixels, grown, rng.choice((2, 3, 5)), method)
    image.paste(Image.fromarray(filled))
    return True


def ink_colour(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, ...]:
    """The receipt's ink in ``box``: the colour of its darkest twentieth of pixels."""
    import numpy as np

    pixels = np.asarray(image.crop(box).convert("RGB")).reshape(-1, 3)
    darkest = pixels[np.argsort(pixels.sum(axis=1), kind="stable")]
    return tuple(int(v) for v in darkest[max(0, len(darkest) // 20)])


FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
)


def font_digit(image: Image.Image, lines: list[TextLine], rng: random.Random, **_: object) -> bool:

    digits = digit_boxes(lines)
    if not digits:
        return False
    line, index = rng.choice(digits)
    box = _fit(line.char_box(index), image.size)
    if box[2] - box[0] < 2 or box[3] - box[1] < 4:
        return False
    ink = ink_colour(image, (box[0], box[1], box[2] + 30, box[3]))
    draw = ImageDraw.Draw(image)
    draw.rectangle(box, fill=paper_colour(image, box))
    size = max(8, int((box[3] - box[1]) * rng.uniform(0.9, 1.15)))
    fonts = [path for path in FONTS if Path(path).exists()]
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = (
            ImageFont.truetype(rng.choice(fonts), size) if fonts else ImageFont.load_default(size)
        )
    except (OSError, TypeError):
        font = ImageFont.load_default()
    new = rng.choice([d for d in "0123456789" if d != line.text[index]])
    draw.text((box[0], box[1] - size // 8), new, fill=ink, font=font)
    return True


METHODS = {
    "digit_paste": digit_paste,
    "copy_move": copy_move,
    "splice": splice,
    "erase": erase,
    "retype": retype,
    "digit_copy": digit_copy,
    "scaled_paste": scaled_paste,
    "requantized": requantized,
    "inpaint": inpaint,
    "font_digit": font_digit,
}


def benign(image: Image.Image, method: str, rng: random.Random) -> Image.Image:
    if method == "crop":
        w, h = image.size
        left, top = int(w * rng.uniform(0.01, 0.08)), int(h * rng.uniform(0.01, 0.08))
        right, bottom = w - int(w * rng.uniform(0.01, 0.08)), h - int(h * rng.uniform(0.01, 0.08))
        return image.crop((left, top, right, bottom))
    if method == "duplicate":
        angle = rng.uniform(-2.0, 2.0)
        scale = rng.uniform(0.85, 1.0)
        turned = image.convert("RGB").rotate(angle, expand=True, fillcolor=(255, 255, 255))
        return turned.resize((int(turned.size[0] * scale), int(turned.size[1] * scale)))
    return image


def processed(image: Image.Image, method: str, rng: random.Random) -> Image.Image:
    """A genuine receipt processed as a whole (still genuine: nothing local changed)."""
    rgb = image.convert("RGB")
    if method == "rescale":
        scale = rng.uniform(0.6, 0.9)
        size = (max(8, int(rgb.size[0] * scale)), max(8, int(rgb.size[1] * scale)))
        return rgb.resize(size, rng.choice((Image.Resampling.BILINEAR, Image.Resampling.LANCZOS)))
    if method == "enhance":
        rgb = ImageEnhance.Contrast(rgb).enhance(rng.uniform(0.8, 1.3))
        rgb = ImageEnhance.Brightness(rgb).enhance(rng.uniform(0.9, 1.1))
        gamma = rng.uniform(0.8, 1.25)
        rgb = rgb.point([min(255, int(255 * (v / 255) ** gamma)) for v in range(256)] * 3)
        if rng.random() < 0.5:
            rgb = rgb.filter(ImageFilter.UnsharpMask(radius=1.5, percent=rng.randint(40, 120)))
        return rgb
    if method == "resave_twice":
        return Image.open(io.BytesIO(save_jpeg(rgb, rng.choice(QUALITIES)))).convert("RGB")
    return rgb


def post_processed(image: Image.Image, method: str, rng: random.Random) -> Image.Image:
    """An image processed after its edit: ``crop`` trims 1-31 pixels off the left and the
    top (never a whole number of 8x8 blocks, so the grid moves) and 0-15 off the right and
    the bottom; ``rescale`` resizes to 60-90 %."""
    rgb = image.convert("RGB")
    if method == "crop":
        left, top = (rng.choice([v for v in range(1, 32) if v % 8]) for _ in range(2))
        right, bottom = rgb.size[0] - rng.randint(0, 15), rgb.size[1] - rng.randint(0, 15)
        return rgb.crop((left, top, right, bottom))
    return processed(rgb, "rescale", rng)


def receipts(data: Path, which: str) -> list[Path]:
    """DATA's receipt images of one part (``development``, ``held-out``) or ``all``."""
    images = sorted((data / "images").glob("*.jpg"))
    return images if which == "all" else [p for p in images if part(p.stem) == which]


def write_listing(out: Path, rows: Sequence[tuple[str, ...]], *extra: str) -> None:
    """``out/authenticity.csv``: stem, label, method, source (and the ``extra`` columns)."""
    with (out / "authenticity.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("stem", "label", "method", "source", *extra))
        writer.writerows(rows)
    print(f"{len(rows)} images -> {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--part", choices=("development", "held-out", "all"), default="all")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--post-share",
        type=float,
        default=0.0,
        help="share of tampered (and re-saved genuine) images cropped or rescaled after the edit",
    )
    args = parser.parse_args(argv)
    images = receipts(args.data, args.part)
    out_images = args.out / "images"
    out_images.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, ...]] = []
    for number, path in enumerate(images, 1):
        rng = random.Random(f"{args.seed}:{path.stem}")
        shutil.copyfile(path, out_images / path.name)
        rows.append((path.stem, "genuine", "original", path.stem))
        original = Image.open(path)
        original.load()
        lines = lines_of(args.data / "boxes" / f"{path.stem}.csv")
        edited: list[tuple[str, str, Image.Image, bytes]] = []  # (method, label, image, file)
        for method in BENIGN:
            variant = benign(original.copy(), method, rng)
            stem = f"{path.stem}__{method}"
            saved = save_jpeg(variant, rng.choice(QUALITIES))
            (out_images / f"{stem}.jpg").write_bytes(saved)
            rows.append((stem, "genuine", method, path.stem))
            if method == "resave":
                edited.append((method, "genuine", variant, saved))
        for method, tamper in METHODS.items():
            image = original.convert("RGB")
            donor_path = rng.choice([p for p in images if p != path] or [path])
            donor = Image.open(donor_path).convert("RGB")
            donor_lines = lines_of(args.data / "boxes" / f"{donor_path.stem}.csv")
            if not tamper(image, lines, rng, donor=(donor, donor_lines)):
                continue
            stem = f"{path.stem}__{method}"
            saved = save_jpeg(image, rng.choice(QUALITIES))
            (out_images / f"{stem}.jpg").write_bytes(saved)
            rows.append((stem, "tampered", method, path.stem))
            edited.append((method, "tampered", image, saved))
        extra = random.Random(f"{args.seed}:{path.stem}:processed")
        for method in PROCESSED:
            variant = processed(original.copy(), method, extra)
            stem = f"{path.stem}__{method}"
            (out_images / f"{stem}.jpg").write_bytes(save_jpeg(variant, extra.choice(QUALITIES)))
            rows.append((stem, "genuine", method, path.stem))
        after = random.Random(f"{args.seed}:{path.stem}:post")
        for method, label, image, saved in edited if args.post_share > 0 else []:
            if after.random() >= args.post_share:
                continue
            kind = after.choice(POST)
            source = image if after.random() < 0.5 else Image.open(io.BytesIO(saved))
            variant = post_processed(source, kind, after)
            stem = f"{path.stem}__{method}__post_{kind}"
            (out_images / f"{stem}.jpg").write_bytes(save_jpeg(variant, after.choice(QUALITIES)))
            rows.append((stem, label, method, path.stem, kind))
        print(f"\r{number}/{len(images)} receipts", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if args.post_share > 0:
        write_listing(args.out, [row if len(row) == 5 else (*row, "") for row in rows], "post")
    else:
        write_listing(args.out, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
