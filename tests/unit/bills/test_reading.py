"""Reading a bill's fields from OCR lines, and the Textract AnalyzeExpense path."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.bills import reading
from chalicelib.bills.domain import OcrLine
from chalicelib.bills.ocr import TextractReader, extraction_from_expense, lines_from_rapidocr

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "textract"


def line(text: str, y: float, x: float = 10.0, score: float = 0.95) -> OcrLine:
    return OcrLine(text=text, score=score, box=(x, y, x + 8 * len(text), y + 18))


def receipt(*rows: str | tuple[str, str]) -> list[OcrLine]:
    lines = []
    for index, row in enumerate(rows):
        y = 30.0 * index
        if isinstance(row, tuple):
            lines += [line(row[0], y), line(row[1], y + 2, x=300)]
        else:
            lines.append(line(row, y))
    return lines


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("25/12/2018", "2018-12-25"),
        ("12-01-19 21:13", "2019-01-12"),
        ("24-MAR-2018", "2018-03-24"),
        ("20180304", "2018-03-04"),
        ("Date: 25/12/20188:13:39PM", "2018-12-25"),
        ("28-12-1718:52SH01", "2017-12-28"),
        ("Date.28/12/2017", "2017-12-28"),
        ("25 Dec 2018", "2018-12-25"),
    ],
)
def test_dates_are_read_day_first_into_iso(text: str, iso: str) -> None:
    assert reading.parse_dates(text)[0] == iso


def test_amounts_are_minor_units() -> None:
    assert reading.parse_amounts("TOTAL RM 1,234.50 and -0.02") == [123450, -2]
    assert reading.parse_total("RM 3.90") == 390
    assert reading.parse_total("9.00") == 900


def test_a_receipt_gives_company_date_total_and_items() -> None:
    # Given OCR lines of a typical receipt (a note on top, rounding, cash and change)
    lines = receipt(
        "tan woon yann",
        "INDAH GIFT & HOME DECO",
        "27,JALAN DEDAP 13",
        "19/10/2018 20:49:59 #01",
        ("GF-TABLE LAMP", "55.90"),
        ("STITCH PLUSH TOY", "10.00"),
        ("TOTAL AMT. RM", "60.31"),
        ("ROUNDING ADJ", "-0.01"),
        ("CASH RM", "70.30"),
        ("CHANGE RM", "10.00"),
    )
    # When it is read
    found = reading.read(lines)
    # Then the printed header, the date and the rounded total (cash - change) come out
    assert found.company == "INDAH GIFT & HOME DECO"
    assert found.date == "2018-10-19"
    assert found.total == 6030
    assert found.currency == "MYR"
    assert [item.amount for item in found.line_items] == [5590, 1000]
    assert set(found.confidence) == {"company", "date", "total"}
    assert "INDAH GIFT" in found.raw_text


def test_run_together_words_are_split_into_known_words() -> None:
    # Given a line the OCR ran together, with character edges
    text = "PASARAYABORONGPINTARSDNBHD"
    edges = tuple((10.0 * i, 10.0 * i + 8) for i in range(len(text)))
    ocr = OcrLine(text=text, score=0.9, box=(0, 0, 260, 20), char_edges=edges)
    # When it is re-spaced, Then the known words come apart
    assert reading.respace(ocr) == "PASARAYA BORONG PINTAR SDN BHD"


def test_a_known_shop_close_enough_wins() -> None:
    lines = receipt("MR.D.I.Y(M)SDNBHD", "LOT 1851-A", "TOTAL 9.00")
    found = reading.read(lines, known_shops=["MR. D.I.Y. (M) SDN BHD"])
    assert found.company == "MR. D.I.Y. (M) SDN BHD"


def test_rapidocr_output_becomes_lines_with_character_edges() -> None:
    box = [[0, 0], [30, 0], [30, 10], [0, 10]]
    chars = [[[0, 0], [9, 0], [9, 10], [0, 10]], [[20, 0], [29, 0], [29, 10], [20, 10]]]
    (found,) = lines_from_rapidocr([[box, "AB", 0.9, chars, ["A", "B"], [0.9, 0.9]]])
    assert found.box == (0.0, 0.0, 30.0, 10.0)
    assert found.char_edges == ((0.0, 9.0), (20.0, 29.0))


def test_textract_analyze_expense_gives_the_same_normalized_result() -> None:
    # Given an AnalyzeExpense response in the documented shape, served by a stubbed client
    response = json.loads((FIXTURES / "analyze_expense_receipt.json").read_text())
    client = boto3.client("textract", region_name="us-east-1")
    stubber = Stubber(client)  # checks the request and the response against the API model
    stubber.add_response("analyze_expense", response, {"Document": {"Bytes": b"jpeg"}})
    # When the Textract reader reads the bill
    with stubber:
        found = TextractReader(client=client).read(b"jpeg")
    # Then Textract's own fields are normalized like the local engine's
    assert found.engine == "textract"
    assert found.company == "BOOK TA .K (TAMAN DAYA) SDN BHD"
    assert found.date == "2018-12-25"
    assert found.total == 900
    assert found.confidence["total"] == pytest.approx(0.951)
    assert [(i.description, i.amount) for i in found.line_items] == [
        ("KF MODELLING CLAY KIDDY FISH", 900)
    ]


def test_textract_missing_fields_fall_back_to_the_rules() -> None:
    response = json.loads((FIXTURES / "analyze_expense_receipt.json").read_text())
    document = response["ExpenseDocuments"][0]
    document["SummaryFields"] = [
        f for f in document["SummaryFields"] if f["Type"]["Text"] not in ("TOTAL", "AMOUNT_PAID")
    ]
    found = extraction_from_expense(response)
    assert found.total == 900  # "Total: 9.00" read from the LINE blocks
