"""Make an authenticity set from genuine receipts: the genuine images, benign variants of
them, and tampered variants, laid out as `make eval-authenticity` reads it
(`OUT/images/`, `OUT/authenticity.csv` with stem,label,method,source).

Tampering methods (each a whole group in the cross-validation that holds methods out):
- ``digit_paste``: one digit of an amount or date replaced by another digit's pixels copied
  from elsewhere on the same receipt (the commonest real forgery);
- ``copy_move``: a word-sized region copied to another place on the same receipt;
- ``splice``: a digit or word pasted in from another receipt;
- ``erase``: a digit or word painted over with the paper's colour;
- ``retype``: an amount painted over and typed anew with a font.
Benign variants, labelled genuine (a bill photographed, cropped or re-saved is still the
same bill; the model must not learn "was re-saved" as "was edited"): ``resave`` (JPEG at
quality 70-95), ``crop`` (margins trimmed). ``duplicate`` (a small rotation and scale of
another genuine receipt, re-saved) is labelled genuine too: duplicates are caught by the
perceptual-hash lookup, not by the pixels. Every tampered image is saved as JPEG at a
quality drawn from the same range as ``resave``, so the saving alone tells nothing.

Line positions come from the receipts' ground-truth OCR boxes (``boxes/``).
Usage: python -m ml.bills.tamper DATA OUT [--part development|held-out|all]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ml.bills.split import part

TAMPERED = ("digit_paste", "copy_move", "splice", "erase", "retype")
BENIGN = ("resave", "crop", "duplicate")
QUALITIES = (70, 75, 80, 85, 90, 95)


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


METHODS = {
    "digit_paste": digit_paste,
    "copy_move": copy_move,
    "splice": splice,
    "erase": erase,
    "retype": retype,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--part", choices=("development", "held-out", "all"), default="all")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    images = sorted((args.data / "images").glob("*.jpg"))
    if args.part != "all":
        images = [p for p in images if part(p.stem) == args.part]
    out_images = args.out / "images"
    out_images.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    for number, path in enumerate(images, 1):
        rng = random.Random(f"{args.seed}:{path.stem}")
        shutil.copyfile(path, out_images / path.name)
        rows.append((path.stem, "genuine", "original", path.stem))
        original = Image.open(path)
        original.load()
        lines = lines_of(args.data / "boxes" / f"{path.stem}.csv")
        for method in BENIGN:
            variant = benign(original.copy(), method, rng)
            stem = f"{path.stem}__{method}"
            (out_images / f"{stem}.jpg").write_bytes(save_jpeg(variant, rng.choice(QUALITIES)))
            rows.append((stem, "genuine", method, path.stem))
        for method, tamper in METHODS.items():
            image = original.convert("RGB")
            donor_path = rng.choice([p for p in images if p != path] or [path])
            donor = Image.open(donor_path).convert("RGB")
            donor_lines = lines_of(args.data / "boxes" / f"{donor_path.stem}.csv")
            if not tamper(image, lines, rng, donor=(donor, donor_lines)):
                continue
            stem = f"{path.stem}__{method}"
            (out_images / f"{stem}.jpg").write_bytes(save_jpeg(image, rng.choice(QUALITIES)))
            rows.append((stem, "tampered", method, path.stem))
        print(f"\r{number}/{len(images)} receipts", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with (args.out / "authenticity.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("stem", "label", "method", "source"))
        writer.writerows(rows)
    print(f"{len(rows)} images -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
