"""Reading a bill's fields from OCR lines, and the Textract AnalyzeExpense path."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.bills import ocr, reading
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
        ("25 Dec '18", "2018-12-25"),
        ("2018年12月25日", "2018-12-25"),
        (":100CT2017TUE", "2017-10-10"),  # O read as 0, glued ...
        (": 10 0CT 2017 TUE", "2017-10-10"),  # ... or spaced, as a spacing engine gives it
        ("DATE: 05 N0V 2018", "2018-11-05"),
        ("0ctober 5, 2018", "2018-10-05"),
    ],
)
def test_dates_are_read_day_first_into_iso(text: str, iso: str) -> None:
    assert reading.parse_dates(text)[0] == iso


def test_amounts_are_minor_units() -> None:
    assert reading.parse_amounts("TOTAL RM 1,234.50 and -0.02") == [123450, -2]
    assert reading.parse_total("RM 3.90") == 390
    assert reading.parse_total("9.00") == 900
    assert reading.parse_total("43.7") == 4370  # a label with one decimal means 43.70
    assert reading.parse_total("1,200") == 120000


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


def spaced_line(words: list[str], *, gap: float) -> OcrLine:
    """A line the OCR ran together: characters 10 px apart inside a word, ``gap`` px more
    between words (what the engine's character boxes look like)."""
    text, edges, x = "", [], 0.0
    for index, word in enumerate(words):
        if index:
            x += gap
        for char in word:
            text += char
            edges.append((x, x + 8.0))
            x += 10.0
    return OcrLine(text=text, score=0.9, box=(0, 0, x, 20), char_edges=tuple(edges))


def test_a_name_of_unknown_words_is_cut_where_the_characters_stand_apart() -> None:
    # Given a name of words no lexicon knows, printed with wider gaps between the words
    ocr = spaced_line(["ZORVAK", "QUIBLE", "ENTERPRISE"], gap=9.0)
    # When it is re-spaced, Then the gaps cut it and the known trade word stays whole
    assert reading.respace(ocr) == "ZORVAK QUIBLE ENTERPRISE"


def test_where_the_gaps_are_unclear_the_lexicon_cuts() -> None:
    # Given known words the OCR ran together with barely wider gaps between them
    ocr = spaced_line(["KEDAI", "PAPAN", "SDN", "BHD"], gap=3.0)
    # When it is re-spaced, Then the lexicon cuts them
    assert reading.respace(ocr) == "KEDAI PAPAN SDN BHD"


def test_the_name_above_the_registration_number_is_the_company() -> None:
    # Given a receipt whose name has no trade suffix, under a greeting
    lines = receipt("THANK YOU AND DO VISIT US AGAIN", "FIVE STAR CASH& CARRY", "(1365663-P)")
    # When it is read, Then the row above the registration number is the company
    assert reading.read(lines).company == "FIVE STAR CASH & CARRY"


def test_a_trade_word_misread_by_one_letter_is_read_as_printed() -> None:
    lines = receipt("FY EAGLE ENTERFRISE", "NO.42, JALAN PBS 14/11", "TOTAL 9.00")
    assert reading.read(lines).company == "FY EAGLE ENTERPRISE"


@pytest.mark.parametrize(
    ("rows", "total"),
    [
        # TOTAL misread, then paid in cash: the total row still counts
        (("IUIAL (GSI INUL) 2.28", "LASH 5.00", "LHANGE DUE 2.72"), 228),
        # "RM." before the amount
        (("Total Incl.GST@6% RM.34.80", "CASH RM100.00", "CHANGE RM 65.20"), 3480),
        # the decimal point lost, the cash row after it is not the total
        (("SUB-TOTAL(GST) 7.00", "TOTAL 700", "CASH 10.00"), 700),
        # what was accepted minus the change is the total
        (("Amount Incl. GST 5.00 RM", "Accepted total 10.00RM", "Change 5.00RM"), 500),
        # paid by card exactly the rounded total, not the total before rounding
        (
            ("Total (Inclusive of GST): 67.98", "Rounding Adj: 0.02", "TOTAL: 68.00", "VISA 68.00"),
            6800,
        ),
    ],
)
def test_the_total_is_the_amount_the_payment_confirms(rows: tuple[str, ...], total: int) -> None:
    assert reading.read(receipt("SHOP SDN BHD", *rows)).total == total


@pytest.mark.parametrize(
    ("text", "iso"),
    [("Date: Mar 04, 2018 10:11", "2018-03-04"), ("25 / 12 / 2018", "2018-12-25")],
)
def test_month_first_and_spaced_out_dates_are_read(text: str, iso: str) -> None:
    assert reading.parse_dates(text) == [iso]


def test_blank_columns_between_characters_are_measured_on_the_image() -> None:
    # Given a white strip with two black blocks of "letters", 4 px apart inside a word
    # and 14 px apart between words, and the engine's character edges over them
    import numpy as np

    gray = np.full((20, 100), 255, dtype=np.uint8)
    edges = []
    for left in (2, 14, 40, 52):
        gray[4:16, left : left + 8] = 0
        edges.append((float(left), float(left + 8)))
    line = OcrLine(text="ABCD", score=0.9, box=(0, 0, 100, 20), char_edges=tuple(edges))
    # When the ink gaps are measured, Then each is the widest blank run before the character
    assert ocr.ink_gaps(gray, line) == (0.0, 4.0, 18.0, 4.0)


def test_a_wide_blank_between_letters_is_a_space_even_where_the_engine_saw_none() -> None:
    # Given unknown words run together with even character edges, but a wide blank on paper
    line = spaced_line(["ZORVAK", "QUIBLE"], gap=0.0)
    blank = tuple(12.0 if i == 6 else 2.0 for i in range(len(line.text)))
    # When it is re-spaced with and without the ink gaps
    with_ink = reading.respace(replace(line, ink_gaps=blank))
    without = reading.respace(line)
    # Then the blank cuts it, which the character edges alone do not
    assert (with_ink, without) == ("ZORVAK QUIBLE", "ZORVAKQUIBLE")


def test_a_registered_name_under_a_brand_is_the_company() -> None:
    lines = receipt(
        "FamilyMart", "Haxincone Resources Sdn Bhd (383322-D)", "16A, Jalan Astaka U8/83"
    )
    assert reading.read(lines).company == "HAXINCONE RESOURCES SDN BHD"


def test_a_branch_in_brackets_under_the_name_belongs_to_it() -> None:
    lines = receipt(
        "CHECKERS HYPERMARKET SDN BHD", "(JALAN KLANG LAMA)", "LOT 2942, JLN SERI SENTOSA 8"
    )
    assert reading.read(lines).company == "CHECKERS HYPERMARKET SDN BHD (JALAN KLANG LAMA)"


def test_a_date_with_letters_misread_for_digits_is_read_when_no_other_is() -> None:
    lines = receipt("KEDAI PAPAN YEW CHUAN", "Date: 2O/O3/2Ol8", "TOTAL 9.00")
    assert reading.read(lines).date == "2018-03-20"


def test_a_word_one_misread_letter_from_a_common_word_is_read_as_that_word() -> None:
    # Given a name where the OCR read O as C and B as H, and a name word no lexicon knows
    lines = receipt("CNE HALIMZOR HEAUTY SDN BHD", "(1120908-M)", "NO.1, JALAN AIR HITAM")
    # When it is read, Then the common words are restored and the unknown one stays
    assert reading.read(lines).company == "ONE HALIMZOR BEAUTY SDN BHD"
