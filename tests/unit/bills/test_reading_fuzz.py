"""The reader on arbitrary OCR output, as an uploaded photo can make the engine read it:
it never raises, and what it returns is well formed. Hypothesis, derandomized: the same
examples on every run."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.bills import reading
from chalicelib.bills.domain import OcrLine

# what receipts print, for rows that look like receipts; and any characters at all
TOKENS = (
    "TOTAL",
    "SUB TOTAL",
    "RM",
    "12.50",
    "1X3.50",
    "3.5017.50",
    "-0.02",
    "25/12/2018",
    "14:05",
    "INVOICE",
    "RECEIPT",
    "SR",
    "ZRL",
    "2 X",
    "CASH",
    "CHANGE",
    "GST 6%",
    "Qty",
    "Desc",
    "Amt",
    "SDN BHD",
    "MR D.I.Y.",
    "(123456-X)",
    "JALAN",
    "2018年12月25日",
    "25 Dec '18",
    "ITEM(S):2",
    "ROUNDING",
    "@DISC",
    "%",
    "#",
    "1,234.50",
    "O.5O",
)
receipt_like = st.lists(st.sampled_from(TOKENS), max_size=6).map(" ".join)
anything = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


@st.composite
def lines(draw: st.DrawFn) -> OcrLine:
    text = draw(st.one_of(receipt_like, anything))
    x = draw(st.floats(0, 500, allow_nan=False))
    y = draw(st.floats(0, 3000, allow_nan=False))
    score = draw(st.floats(0, 1, allow_nan=False))
    return OcrLine(text=text, score=score, box=(x, y, x + 8 * max(len(text), 1), y + 18))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(lines(), max_size=40))
def test_any_ocr_output_reads_into_a_well_formed_extraction(found_lines: list[OcrLine]) -> None:
    # When arbitrary lines are read
    found = reading.read(found_lines)
    # Then the fields are well formed: an ISO date, a total and items in minor units
    if found.date is not None:
        date.fromisoformat(found.date)
    assert found.total is None or (isinstance(found.total, int) and found.total >= 0)
    assert len(found.line_items) <= 50
    assert all(isinstance(item.amount, int) for item in found.line_items)
    assert set(found.confidence) == {"company", "date", "total"}
