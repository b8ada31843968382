"""The evaluation commands read a private DATA directory laid out like ``../shared/data``:
the same data written another way (a byte-order mark, CRLF lines, padded or capitalised
column names, UCI's own month-first dates, a one-decimal total, an image suffix in capitals)
reads as the original does, and what cannot be read is named and left out, never fatal."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.bills import reading
from ml import data as reviews_data
from ml.bills import eval_bills
from ml.bills import features as bill_features
from ml.forecast.data import read_totals
from ml.recs.data import read_lines

BOM = "\ufeff"


def _write(
    path: Path, rows: list[list[str]], *, bom: bool, crlf: bool, delimiter: str = ","
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        if bom:
            handle.write(BOM)
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n").writerows(
            rows
        )


LINES = [
    ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
    ["553156", "22516", "CHILDS GARDEN RAKE BLUE", "1", "2011-05-13 14:58:00", "2.1", "17841"],
    ["C553157", "22516", "CHILDS GARDEN RAKE BLUE", "-1", "2011-05-13 15:00:00", "2.1", "17841"],
    ["553158", "20970", "PINK FLORAL BAG", "6", "2011-01-11 12:11:00", "3.75", "17365.0"],
    ["553159", "20970", "PINK FLORAL BAG", "", "2011-01-11 12:12:00", "3.75", "17365"],
]


def _us_dates(rows: list[list[str]], column: int) -> list[list[str]]:
    """The rows with UCI's export dates (``5/13/2011 14:58``, ``1/11/2011``)."""
    out = [rows[0]]
    for row in rows[1:]:
        day, _, clock = row[column].partition(" ")
        year, month, date_of_month = day.split("-")
        us = f"{int(month)}/{int(date_of_month)}/{year}"
        out.append([*row[:column], f"{us} {clock[:5]}" if clock else us, *row[column + 1 :]])
    return out


def test_retail_lines_written_another_way_read_as_the_original(tmp_path: Path) -> None:
    # Given the same purchase lines as ISO/LF and as BOM + CRLF + month-first dates
    _write(tmp_path / "iso" / "online_retail_lines.csv", LINES, bom=False, crlf=False)
    _write(tmp_path / "uci" / "online_retail_lines.csv", _us_dates(LINES, 4), bom=True, crlf=True)

    # When both are read
    iso, uci = read_lines(tmp_path / "iso"), read_lines(tmp_path / "uci")

    # Then they are the same clean lines (the cancellation and the unreadable row dropped)
    assert iso == uci
    assert [(line.customer, line.item, line.quantity) for line in iso] == [
        ("17841", "22516", 1),
        ("17365", "20970", 6),
    ]


def test_invoice_totals_written_another_way_read_as_the_original(tmp_path: Path) -> None:
    # Given the same invoice totals as ISO/LF and as BOM + CRLF + month-first dates
    totals = [
        ["InvoiceNo", "InvoiceDate", "CustomerID", "TotalPrice"],
        ["536365", "2010-12-01", "17850", "139.12"],
        ["536366", "2010-12-01", "17850", "22.20"],
        ["C536367", "2010-12-02", "17850", "-5"],
        ["536368", "2010-12-02", "13047", "n/a"],
        ["536369", "2010-12-03", "13047", "10"],
    ]
    _write(tmp_path / "iso" / "online_retail_invoice_totals.csv", totals, bom=False, crlf=False)
    _write(
        tmp_path / "uci" / "online_retail_invoice_totals.csv",
        _us_dates(totals, 1),
        bom=True,
        crlf=True,
    )

    # When both are read
    iso, uci = read_totals(tmp_path / "iso"), read_totals(tmp_path / "uci")

    # Then the daily series are the same, the cancellation counted, the unreadable row dropped
    assert iso.days == uci.days
    assert iso.values.tolist() == uci.values.tolist()
    assert iso.values.tolist() == pytest.approx([161.32, 10.0])
    assert uci.cancelled_invoices == 1


def test_reviews_with_a_byte_order_mark_keep_their_first_column(tmp_path: Path) -> None:
    # Given the Alexa file with a byte-order mark and CRLF lines, and no yelp file
    _write(
        tmp_path / "amazon_alexa.tsv",
        [
            ["rating", "date", "variation", "verified_reviews", "feedback"],
            ["5", "31-Jul-18", "Charcoal", "Love my Echo!", "1"],
            ["3", "31-Jul-18", "Charcoal", "It is ok.", "1"],
        ],
        bom=True,
        crlf=True,
        delimiter="\t",
    )
    _write(tmp_path / "amazon_cells_labelled.txt", [["Good case.\t1"]], bom=True, crlf=True)
    _write(
        tmp_path / "womens_clothing_ecommerce_reviews_first1000.csv",
        [["", "Title", "Review Text", "Rating"], ["0", "Nice", "Fits well", "4"]],
        bom=False,
        crlf=True,
    )

    # When an evaluation reads the directory (a training would refuse the missing file)
    rows = reviews_data.load(tmp_path, partial=True)

    # Then every row of the three files is there with its label; the missing one is named
    assert [(row.text, row.label) for row in rows] == [
        ("Love my Echo!", "positive"),
        ("It is ok.", "neutral"),
        ("Good case.", "positive"),
        ("Nice. Fits well", "positive"),
    ]
    assert reviews_data.missing_files(tmp_path) == ["yelp_labelled.txt"]
    with pytest.raises(FileNotFoundError, match=r"yelp_labelled\.txt"):
        reviews_data.load(tmp_path)


def test_receipt_labels_are_normalised_whatever_their_json_types() -> None:
    # Given labels with a one-decimal total, a number for a total, and no date
    labels: list[dict[str, Any]] = [
        {"company": "shop  a", "date": "25/12/2018", "total": "43.7"},
        {"company": "SHOP A", "date": "2018-12-25", "total": 43.7},
        {"company": "SHOP A", "total": "RM 43.70"},
    ]

    # When they are normalised for the exact match
    truths = [eval_bills.truth(label) for label in labels]

    # Then each total is 43.70 in minor units, and a missing date is none
    assert [t["total"] for t in truths] == [4370, 4370, 4370]
    assert [t["date"] for t in truths] == ["2018-12-25", "2018-12-25", None]
    assert {t["company"] for t in truths} == {reading.company_key("SHOP A")}


def test_an_authenticity_listing_written_another_way_is_read(tmp_path: Path) -> None:
    # Given a listing with a byte-order mark, padded capitalised names, labels in any case,
    # a stem naming its file, and images with suffixes in capitals
    (tmp_path / "images").mkdir()
    for name in ("a.JPG", "b.jpeg", "c.png"):
        (tmp_path / "images" / name).write_bytes(b"x")
    _write(
        tmp_path / "authenticity.csv",
        [
            [" Stem", "Label ", "method"],
            ["a", "Genuine", "original"],
            ["b.jpeg", " TAMPERED", "x"],
            ["c", "tampered", "y"],
        ],
        bom=True,
        crlf=True,
    )

    # When the listing is read and each stem's image found
    rows = bill_features.read_labels(tmp_path)

    # Then every row is there, with its image
    assert [(r["stem"], r["label"].lower()) for r in rows] == [
        ("a", "genuine"),
        ("b.jpeg", "tampered"),
        ("c", "tampered"),
    ]
    assert [bill_features.image_of(tmp_path, r["stem"]).name for r in rows] == [
        "a.JPG",
        "b.jpeg",
        "c.png",
    ]


def test_an_unreadable_receipt_is_named_and_counted_as_read_wrong(tmp_path: Path) -> None:
    # Given receipt images that are not images, a label file that is not JSON, and one
    # label named .txt
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    (tmp_path / "images" / "001.JPG").write_bytes(b"not a jpeg")
    (tmp_path / "labels" / "001.json").write_text(
        BOM + json.dumps({"company": "SHOP", "date": "01/01/2019", "total": "9.00"})
    )
    (tmp_path / "images" / "002.jpg").write_bytes(b"not a jpeg either")
    (tmp_path / "labels" / "002.json").write_text("{broken")
    (tmp_path / "images" / "003.png").write_bytes(b"no png")
    (tmp_path / "labels" / "003.txt").write_text(json.dumps({"company": "SHOP", "total": "1.00"}))

    # When the extraction is evaluated
    result = eval_bills.evaluate(tmp_path, [], None)

    # Then the first is scored (every field wrong), the second left out, both named; a
    # label named as SROIE names its key files (.txt) is read too
    assert [row["stem"] for row in result["rows"]] == ["001", "003"]
    assert not any(result["rows"][0]["ours"].values())
    assert [problem.split(":")[0] for problem in result["problems"]] == [
        "001.JPG",
        "002.json",
        "003.png",
    ]
