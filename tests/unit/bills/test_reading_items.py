"""The bought lines of a bill (``reading.find_items``): the layouts receipts print them in.
Measured on the development receipts in docs/bills.md ("Line items")."""

from __future__ import annotations

from chalicelib.bills import reading
from tests.unit.bills.test_reading import receipt


def items(*rows: str | tuple[str, str]) -> list[tuple[str, int]]:
    found = reading.read(receipt(*rows))
    return [(item.description, item.amount) for item in found.line_items]


def test_a_row_of_codes_takes_its_description_from_the_rows_above() -> None:
    # Given a till that prints the name, then a code row, then quantity, price and amount
    assert items(
        "MR D.I.Y. (M) SDN BHD",
        "NO. 5:55,57 JALAN SAGU",  # an address the OCR reads an amount in: not an item
        "-INVOICE-",
        "CHOPPING BOARD 35.5X25.5CM",
        "EZ10HD05-24",
        "8970669 1X19.0019.00",  # the amounts run together
        "AIR PRESSURE SPRAYER",
        "HC03-7-15",  # a code that reads as a date
        "9066468 1X8.02 8.02",
        "Item(s):2 Qty(s):2",
        "TOTAL RM27.02",
    ) == [("CHOPPING BOARD 35.5X25.5CM EZ10HD05-24", 1900), ("AIR PRESSURE SPRAYER HC03-7-15", 802)]


def test_a_name_printed_under_its_amount_row_is_taken_from_below() -> None:
    # Given a restaurant bill: a column heading, then "qty code price amount" and the dish below
    assert items(
        "DE MAXIMUM THAI EXPRESS SDN BHD",
        "TAX INVOICE NO 8",
        "Qty Code/Desc UnitPrice TotalRM",
        "1 D15 8.90 8.90",
        "THAI ICE TEA",
        "1 FR01 12.90 12.90",
        "BELACAN FRIED RICE",
        "Total Amount: 21.80",
    ) == [("THAI ICE TEA", 890), ("BELACAN FRIED RICE", 1290)]


def test_taxes_counts_and_totals_end_the_items_and_a_discount_counts_against_them() -> None:
    # Given items, a discount, then a total without tax and a tax line
    assert items(
        "SANYU STATIONERY SHOP",
        "RECEIPT",
        ("1x ZRL PEN", "2.10"),
        ("1x ZRL PEN", "2.10"),
        ("@DISC 10.00%", "-0.42"),
        ("Total (Excluding GST)", "3.78"),
        ("GST 6%", "0.23"),
        ("Amount Incl. GST", "4.01"),
    ) == [("1x ZRL PEN", 210), ("1x ZRL PEN", 210), ("DISC %", -42)]


def test_a_unit_price_row_is_not_an_item_of_its_own() -> None:
    # Given a line's quantity and unit price printed under its amount
    assert items(
        "99 SPEED MART S/B",
        "RECEIPT",
        ("MARIGOLD HL MILK 1L", "13.58"),
        "2 X 6.79",
        ("TIGER BEER BOTTLE", "13.70"),
        ("TOTAL", "27.28"),
    ) == [("MARIGOLD HL MILK 1L", 1358), ("TIGER BEER BOTTLE", 1370)]


def test_a_bill_with_a_total_only_has_no_items() -> None:
    assert (
        items("DIGI TELECOMMUNICATIONS", "TAX INVOICE", ("Paid Amount", "234.40"), "Total 234.40")
        == []
    )


def test_an_unnamed_sub_total_is_not_an_item_but_a_repeated_item_is() -> None:
    # Given two pizzas, a row with their sum the till did not name, and two equal pens
    assert items(
        "DOMINO'S PIZZA",
        "TAX INVOICE",
        ('1 9"HT (BQ)', "30.30"),
        ('1 9"NYC (CP)', "30.30"),
        "60.60",
        ("Total", "60.60"),
    ) == [('1 9"HT (BQ)', 3030), ('1 9"NYC (CP)', 3030)]
    assert items(
        "SANYU", "RECEIPT", ("1x ZRL PEN", "2.10"), ("1x ZRL PEN", "2.10"), ("TOTAL", "4.20")
    ) == [("1x ZRL PEN", 210), ("1x ZRL PEN", 210)]


def test_a_quantity_and_a_tax_code_are_no_name() -> None:
    # Given a till that prints the name, then "1x ... SR 5.90" under it
    assert items(
        "GARDENIA BAKERIES (KL) SDN BHD",
        "INVOICE",
        "GDN MC H/W ENRICHED",
        ("1x   SR", "5.90"),
        ("TOTAL", "5.90"),
    ) == [("GDN MC H/W ENRICHED", 590)]


def test_a_registration_row_is_neither_an_item_nor_an_item_s_name() -> None:
    # Given no row that opens the items, a GST registration row (REG read as RE9) with the
    # next column's amount beside it, and a code row under it whose name is printed below
    assert items(
        "GUARDIAN HEALTH AND BEAUTY SDN BHD",
        ("GST Re9 #000899874816", "RM"),
        "0092000 2X 2.20 4.40",
        "GDN WATER 500ML",
        ("CO. NO: 1101083-T", "5.90"),
        ("TOTAL", "4.40"),
    ) == [("GDN WATER 500ML", 440)]


def test_a_regular_size_is_still_an_item() -> None:
    assert items("BURGER KING", "RECEIPT", ("1 FRIES REG", "5.90"), ("TOTAL", "5.90")) == [
        ("1 FRIES REG", 590)
    ]
