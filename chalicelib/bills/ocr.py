"""Reading a bill: one interface, two engines.

- ``LocalReader``: ``rapidocr-onnxruntime`` (its ONNX detection and recognition models ship
  inside the package, so it runs offline; in the ML layer), then ``reading.read``.
- ``TextractReader``: Textract ``AnalyzeExpense`` on AWS, parsed with
  ``amazon-textract-textractor``; the summary fields Textract names (VENDOR_NAME,
  INVOICE_RECEIPT_DATE, TOTAL, …) and its line items, with ``reading``'s rules for any
  field Textract left out.

Both return the same ``Extraction``. ``reader()`` picks by the ``bills_ocr_engine`` setting.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any, ClassVar, Protocol

from chalicelib.bills import reading
from chalicelib.bills.domain import Extraction, LineItem, OcrLine


class BillReader(Protocol):
    def read(self, image: bytes, *, known_shops: Sequence[str] = ()) -> Extraction: ...


def _box(points: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def lines_from_rapidocr(result: Sequence[Sequence[Any]] | None) -> list[OcrLine]:
    """``OcrLine``s from RapidOCR's ``[box, text, score, char_boxes, chars, scores]``
    (the last three only with ``return_word_box=True``)."""
    lines = []
    for item in result or []:
        text = str(item[1])
        edges: tuple[tuple[float, float], ...] = ()
        if len(item) > 4 and len(item[4]) == len(text):
            edges = tuple(
                (min(float(p[0]) for p in cb), max(float(p[0]) for p in cb)) for cb in item[3]
            )
        lines.append(OcrLine(text=text, score=float(item[2]), box=_box(item[0]), char_edges=edges))
    return lines


def ink_gaps(gray: Any, line: OcrLine) -> tuple[float, ...]:
    """For each character of ``line``, the widest run of blank pixel columns between the
    centre of the character before it and its own centre (0 for the first; ``()`` without
    character edges), in the middle band of the line's box of the grey image ``gray``
    (numpy, 2-D): where the engine ran two words together, the paper still shows the
    space. Ink is darker than the crop's mid-grey (half-way between its 2nd and 98th
    percentiles); a column with at most one ink pixel is blank."""
    import numpy as np

    text, edges = line.text, line.char_edges
    if len(edges) != len(text) or len(text) < 2:
        return ()
    x0, y0, x1, y1 = (round(v) for v in line.box)
    height = max(y1 - y0, 1)
    top, bottom = max(0, y0 + height // 6), min(gray.shape[0], y1 - height // 6)
    left, right = max(0, x0), min(gray.shape[1], x1)
    if bottom - top < 2 or right - left < 2:
        return ()
    crop = gray[top:bottom, left:right].astype(np.float32)
    low, high = np.percentile(crop, [2, 98])
    if high - low < 20:
        return ()
    blank = (crop < (low + high) / 2).sum(axis=0) <= 1
    out = [0.0] * len(text)
    previous: float | None = None
    for index, (char, (a, b)) in enumerate(zip(text, edges, strict=True)):
        if char.isspace():
            continue
        centre = (a + b) / 2 - left
        if previous is not None:
            lo, hi = max(0, int(previous)), min(len(blank), int(centre) + 1)
            run = longest = 0
            for flag in blank[lo:hi]:
                run = run + 1 if flag else 0
                longest = max(longest, run)
            out[index] = float(longest)
        previous = centre
    return tuple(out)


def with_ink_gaps(image: bytes, lines: Sequence[OcrLine]) -> list[OcrLine]:
    """``lines`` with their ``ink_gaps`` measured on the image (``ink_gaps``)."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(image)) as opened:
        gray = np.asarray(opened.convert("L"))
    return [replace(line, ink_gaps=ink_gaps(gray, line)) for line in lines]


@lru_cache(maxsize=2)
def reader_model(version: str) -> reading.ReaderModel:
    """The reader model (``models/bill-reader/<version>/``: the gap model and word lists
    names are re-spaced with) from the models bucket, once per container
    (``core.model_store.ModelUnavailableError`` when missing or corrupt)."""
    from chalicelib.core.model_store import load_model

    return reading.model_from(load_model(reading.MODEL_NAME, version))


OcrOption = bool | int | float | str
# The engine options a reader model's manifest may carry (``"ocr"``; docs/bills.md, session 10):
# given when the engine is built (rapidocr's own keyword names) ...
ENGINE_OPTIONS = frozenset(
    {"use_cls", "det_limit_side_len", "det_thresh", "cls_thresh", "max_side_len"}
    | {"rec_model_path", "rec_keys_path"}
)
# ... of which these are files: another recognition model and its characters (session 12)
PATH_OPTIONS = frozenset({"rec_model_path", "rec_keys_path"})
# ... given at each call (rapidocr 1.4.4 resets these to its defaults at any call with keyword
# arguments, and ours always asks for the character boxes, so a value given when the engine is
# built would be lost) ...
CALL_OPTIONS = frozenset({"box_thresh", "unclip_ratio", "text_score"})
# ... and ours: the image scaled by this factor (bicubic) before the engine reads it, its
# boxes scaled back to the image's own pixels (the ink gaps are measured there).
OUR_OPTIONS = frozenset({"upscale"})


def ocr_options(options: Mapping[str, Any] | None) -> tuple[tuple[str, OcrOption], ...]:
    """``options`` checked and in a canonical order (``ValueError`` for a name the engine
    does not take or a value that is not a number or a boolean)."""
    out = []
    for name, value in sorted((options or {}).items()):
        if name not in ENGINE_OPTIONS | CALL_OPTIONS | OUR_OPTIONS:
            raise ValueError(f"unknown OCR option {name!r}")
        if name in PATH_OPTIONS:
            if not isinstance(value, str) or not value:
                raise ValueError(f"OCR option {name!r} must be a file's path")
        elif not isinstance(value, bool | int | float):
            raise ValueError(f"OCR option {name!r} must be a number or a boolean")
        out.append((name, value))
    return tuple(out)


def scaled(line: OcrLine, factor: float) -> OcrLine:
    """``line`` with its box and character edges divided by ``factor``."""
    x0, y0, x1, y1 = line.box
    return replace(
        line,
        box=(x0 / factor, y0 / factor, x1 / factor, y1 / factor),
        char_edges=tuple((a / factor, b / factor) for a, b in line.char_edges),
    )


# The modes rapidocr decodes right from the file's bytes; any other (a CMYK JPEG from a
# scanner or a PDF export: it read no line at all) is given as RGB pixels.
ENGINE_MODES = frozenset({"RGB", "L", "RGBA", "LA", "I;16"})


def engine_input(image: bytes, factor: float) -> Any:
    """What rapidocr reads: the file's bytes when it decodes them right and no ``upscale``
    is asked for; else the RGB pixels scaled by ``factor`` (bicubic) as the BGR array it
    takes (an array is read as BGR, the bytes it decodes itself as RGB)."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(image)) as opened:
        if factor == 1.0 and opened.mode in ENGINE_MODES:
            return image
        rgb = opened.convert("RGB")
    if factor != 1.0:
        size = (round(rgb.width * factor), round(rgb.height * factor))
        rgb = rgb.resize(size, Image.Resampling.BICUBIC)
    return np.ascontiguousarray(np.asarray(rgb)[..., ::-1])


class LocalReader:
    """RapidOCR (ONNX models shipped in the package), one engine per container and set of
    engine options: the reader model's (``ReaderModel.ocr``, from its manifest; v1-v3 have
    none and read with rapidocr's defaults) unless ``options`` are given."""

    _engines: ClassVar[dict[tuple[tuple[str, OcrOption], ...], Any]] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        model: reading.ReaderModel | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.model = model
        if options is None:
            options = dict(model.ocr) if model else {}
        self.options = dict(ocr_options(options))
        self.engine_key = tuple((k, v) for k, v in self.options.items() if k in ENGINE_OPTIONS)

    @classmethod
    def engine(cls, key: tuple[tuple[str, OcrOption], ...] = ()) -> Any:
        """The engine built with the engine options ``key`` (the others go with each call)."""
        with cls._lock:
            if key not in cls._engines:
                from rapidocr_onnxruntime import RapidOCR  # the ML layer; heavy import

                cls._engines[key] = RapidOCR(
                    intra_op_num_threads=1, inter_op_num_threads=1, **dict(key)
                )
            return cls._engines[key]

    def ocr(self, image: bytes) -> list[OcrLine]:
        call = {k: v for k, v in self.options.items() if k in CALL_OPTIONS}
        factor = float(self.options.get("upscale", 1.0))
        source = engine_input(image, factor)
        result, _ = self.engine(self.engine_key)(source, return_word_box=True, **call)
        lines = lines_from_rapidocr(result)
        if factor != 1.0:
            lines = [scaled(line, factor) for line in lines]
        return with_ink_gaps(image, lines)

    def read(self, image: bytes, *, known_shops: Sequence[str] = ()) -> Extraction:
        return reading.read(
            self.ocr(image), known_shops=known_shops, engine="rapidocr", model=self.model
        )


_TEXTRACT_FIELDS = {
    "company": ("VENDOR_NAME", "NAME"),
    "date": ("INVOICE_RECEIPT_DATE", "ORDER_DATE", "DELIVERY_DATE"),
    "total": ("TOTAL", "AMOUNT_DUE", "AMOUNT_PAID", "SUBTOTAL"),
}


def extraction_from_expense(
    response: dict[str, Any],
    *,
    known_shops: Sequence[str] = (),
    model: reading.ReaderModel | None = None,
) -> Extraction:
    """An ``Extraction`` from an AnalyzeExpense response (parsed by textractor)."""
    from textractor.parsers import response_parser  # the ML layer

    document = response_parser.parse(response)
    fields: dict[str, tuple[str, float]] = {}
    items: list[LineItem] = []
    lines: list[OcrLine] = []
    for page in document.pages:
        for line in page.lines:
            bbox = line.bbox
            lines.append(
                OcrLine(
                    text=line.text,
                    score=float(line.confidence) / 100.0,
                    box=(bbox.x, bbox.y, bbox.x + bbox.width, bbox.y + bbox.height),
                )
            )
    for expense in document.expense_documents:
        for kind, entries in expense.summary_fields.items():
            entry = entries[0]
            value = entry.value.text if entry.value is not None else ""
            sure = float(entry.value.confidence) / 100.0 if entry.value is not None else 0.0
            if value and kind not in fields:
                fields[kind] = (value, sure)
        for group in expense.line_items_groups:
            for row in group.rows:
                description, amount = "", None
                for expense_field in row.expenses:
                    kind = expense_field.type.text if expense_field.type is not None else ""
                    text = expense_field.value.text if expense_field.value is not None else ""
                    if kind == "ITEM":
                        description = text
                    elif kind == "PRICE":
                        amount = reading.parse_total(text)
                if description and amount is not None:
                    items.append(LineItem(description=description, amount=amount))
    fallback = reading.read(lines, known_shops=known_shops, engine="textract", model=model)

    def pick(name: str) -> tuple[str, float] | None:
        for kind in _TEXTRACT_FIELDS[name]:
            if kind in fields:
                return fields[kind]
        return None

    company = pick("company")
    found_date = pick("date")
    total = pick("total")
    date_iso = next(iter(reading.parse_dates(found_date[0])), None) if found_date else None
    total_minor = reading.parse_total(total[0]) if total else None
    confidence = dict(fallback.confidence)
    if company:
        confidence["company"] = round(company[1], 4)
    if date_iso and found_date:
        confidence["date"] = round(found_date[1], 4)
    if total_minor is not None and total:
        confidence["total"] = round(total[1], 4)
    raw = fallback.raw_text
    return Extraction(
        company=reading.company_key(company[0]) if company else fallback.company,
        date=date_iso or fallback.date,
        total=total_minor if total_minor is not None else fallback.total,
        currency=reading.currency_of(raw + " " + (total[0] if total else ""), fallback.currency),
        line_items=tuple(items) or fallback.line_items,
        confidence=confidence,
        raw_text=raw,
        engine="textract",
    )


class TextractReader:
    """Textract AnalyzeExpense on the image bytes (up to 5 MB, JPEG or PNG)."""

    def __init__(self, client: Any = None, model: reading.ReaderModel | None = None) -> None:
        self._client = client
        self.model = model

    def read(self, image: bytes, *, known_shops: Sequence[str] = ()) -> Extraction:
        from chalicelib.core import aws

        client = self._client or aws.client("textract")
        response = client.analyze_expense(Document={"Bytes": image})
        return extraction_from_expense(response, known_shops=known_shops, model=self.model)


def reader(model: reading.ReaderModel | None = None) -> BillReader:
    """The engine the ``bills_ocr_engine`` setting names (``local`` or ``textract``)."""
    from chalicelib.core.settings import get_settings

    if get_settings().bills_ocr_engine == "textract":
        return TextractReader(model=model)
    return LocalReader(model)
