"""The reader's rules 3 (bill-reader v3): looser dates and amounts, trade words in names,
names over several rows, engine-spaced lines kept; rules 2 (v1, v2) read as before."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.bills import reading
from chalicelib.bills.domain import OcrLine
from tests.unit.bills.test_reading import receipt

RULES_2 = replace(reading.default_model(), rules=2)
RULES_3 = replace(reading.default_model(), rules=3)


def rows_close(*texts: str) -> list[OcrLine]:
    """Rows of one type size printed close together (a name over several rows)."""
    return [
        OcrLine(text=text, score=0.95, box=(10.0, 20.0 * i, 10.0 + 8 * len(text), 20.0 * i + 18))
        for i, text in enumerate(texts)
    ]


@pytest.mark.parametrize(
    ("row", "iso"),
    [
        ("DATE: l2/O3/2018", "2018-03-12"),  # letters read for digits
        ("Date:2O/O4/201819:15", "2018-04-20"),  # ... with the year glued to the time
        ("Date 25/12/ 2018", "2018-12-25"),  # a date split over two boxes
        ("Date 25 /12/2018", "2018-12-25"),
        ("Tarikh: 12 OGOS 2018", "2018-08-12"),  # Malay month names
        ("Tarikh: 3 Dis 2017", "2017-12-03"),
    ],
)
def test_rules_3_read_dates_the_ocr_misread_or_split(row: str, iso: str) -> None:
    # Given a receipt whose only date row is misread (and a date elsewhere, unnamed)
    lines = receipt("KEDAI RUNCIT ABC", "Member since 01/01/2015", row, "TOTAL 5.00")
    # When it is read with rules 3, Then the date row's date is found
    assert reading.read(lines, model=RULES_3).date == iso
    # (rules 2 kept for v1/v2: they took the other date or none)
    assert reading.read(lines, model=RULES_2).date != iso


@pytest.mark.parametrize(
    ("row", "total"),
    [("TOTAL 12.5O", 1250), ("TOTAL RM l2.50", 1250), ("AMOUNT DUE 7.00", 700)],
)
def test_rules_3_read_totals_with_letters_for_digits_or_other_words(row: str, total: int) -> None:
    lines = receipt("KEDAI RUNCIT ABC", "25/12/2018", "ITEM A 3.00", row)
    assert reading.read(lines, model=RULES_3).total == total


def test_rules_3_set_glued_trade_words_apart_and_join_a_cut_one() -> None:
    glued = receipt("GARDENIABAKERIES(KL)SDNBHD(139386X)", "Lot 3, Jalan Pelabur", "TOTAL 5.00")
    assert reading.read(glued, model=RULES_3).company == "GARDENIA BAKERIES (KL) SDN BHD"
    cut = receipt("SANYU STAT ONERY SHOP", "NO. 31G JALAN SETIA INDAH", "TOTAL 5.00")
    assert reading.read(cut, model=RULES_3).company == "SANYU STATIONERY SHOP"
    # two real words stay apart
    apart = receipt("POPULAR BOOK STORE", "NO. 1 JALAN BESAR", "TOTAL 5.00")
    assert reading.read(apart, model=RULES_3).company == "POPULAR BOOK STORE"


def test_rules_3_a_name_starting_with_a_trade_word_began_on_the_row_above() -> None:
    lines = rows_close(
        "AIK HUAT HARDWARE", "ENTERPRISE (SETIA", "ALAM) SDN BHD", "822737-X", "NO.17-G, JALAN"
    )
    assert (
        reading.read(lines, model=RULES_3).company
        == "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"
    )
    assert reading.read(lines, model=RULES_2).company == "ENTERPRISE (SETIA ALAM) SDN BHD"


def test_rules_3_keep_the_words_of_an_engine_that_spaces_them() -> None:
    # Given lines without character boxes (Textract's): words the lexicon would cut
    lines = receipt("KINGSTONIA ENTERPRISE", "NO. 1 JALAN", "TOTAL 5.00")
    # When read with rules 3, Then the engine's words stay (rules 2 cut "KINGSTON IA")
    assert reading.read(lines, model=RULES_3).company == "KINGSTONIA ENTERPRISE"
    assert reading.read(lines, model=RULES_2).company == "KINGSTON IA ENTERPRISE"


@pytest.mark.parametrize(
    ("top", "company"),
    [
        ("GUARDIAN HEALTH AND BEAUTY SDN EHD", "GUARDIAN HEALTH AND BEAUTY SDN BHD"),
        ("AEON C0. (M) BHD", "AEON CO. (M) BHD"),
        ("SKCA HARDWARE & TIMBER SDN. BHD.L", "SKCA HARDWARE & TIMBER SDN. BHD."),
        ("99 SPEED MART S/B(519S37-X)", "99 SPEED MART S/B"),  # S read for 5 in the number
        ("ENW HARDWA E CENTRE (M) SDN. BHD.", "ENW HARDWARE CENTRE (M) SDN. BHD."),
    ],
)
def test_rules_3_read_a_misread_legal_ending_as_printed(top: str, company: str) -> None:
    lines = receipt(top, "NO. 1 JALAN BESAR", "TOTAL 5.00")
    assert reading.read(lines, model=RULES_3).company == company


def test_rules_3_a_cashier_row_is_no_payment() -> None:
    # Given a cashier row the OCR gave an amount (its time) and the payment rows
    lines = receipt(
        "KEDAI RUNCIT ABC",
        ("Cashuet USER Time", "1231.00"),
        ("Total:", "80.90"),
        ("CASH:", "100.00"),
        ("Change:", "19.10"),
    )
    # When read, Then cash (100.00) minus change is the total (rules 2 took the cashier's
    # row for the cash: 1231.00 - 19.10)
    assert reading.read(lines, model=RULES_3).total == 8090
    assert reading.read(lines, model=RULES_2).total == 121190


def test_rules_3_a_dollar_sign_read_as_s_and_a_lost_date_separator() -> None:
    lines = receipt(
        "KEDAI RUNCIT ABC", "Salesperson Date:1202/2018", ("Nett Total:", "S8.20"), "CASH $8.20"
    )
    found = reading.read(lines, model=RULES_3)
    assert (found.date, found.total) == ("2018-02-12", 820)


def test_the_evaluated_reader_is_the_one_the_runtime_loads() -> None:
    from chalicelib.core.settings import Settings

    # Given the committed reader (what make eval-bills and the tests read) and the setting
    # the verification function loads from the models bucket
    # Then they are the same version, and it reads with the newest rules
    assert Settings().bills_reader_version == reading.VERSION
    assert reading.default_model().version == reading.VERSION
    assert reading.default_model().rules == reading.RULES
