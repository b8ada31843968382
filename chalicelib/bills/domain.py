"""Bills' domain values: what OCR read off a bill, and a post's status."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class OcrLine:
    """One line of text the OCR found: its box (x0, y0, x1, y1) in pixels, its confidence,
    and, when the engine gives them, each character's left and right edge (for spacing)."""

    text: str
    score: float
    box: tuple[float, float, float, float]
    char_edges: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class LineItem:
    """One bought line: what it says and its amount in minor units."""

    description: str
    amount: int


@dataclass(frozen=True)
class Extraction:
    """The fields read off a bill, the same whichever engine read it.

    ``date`` is ISO (YYYY-MM-DD), ``total`` in minor units of ``currency``;
    ``confidence`` holds a 0..1 score per field (company, date, total), 0 for a field
    not found; ``raw_text`` is every line, top to bottom.
    """

    company: str | None
    date: str | None
    total: int | None
    currency: str
    line_items: tuple[LineItem, ...] = ()
    confidence: dict[str, float] = field(default_factory=dict)
    raw_text: str = ""
    engine: str = ""
