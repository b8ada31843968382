"""``make eval-forecast DATA=<dir>``: a later period is scored by the shipped model; the dev
data itself by the shipped dev hold-out twin, and the command never fits anything."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from ml.forecast import eval as eval_command
from ml.forecast import select
from ml.forecast.data import dev_dir


def never_fit(*args: object, **kwargs: object) -> None:
    raise AssertionError("the evaluation command must not fit a model")


def run(data: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(select, "fit", never_fit)
    monkeypatch.setattr(sys, "argv", ["eval", str(data), "--out", str(out)])
    eval_command.main()


def test_a_later_period_is_scored_by_the_shipped_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given sixty days after the dev series, 30k a trading day (Saturdays closed)
    rows = ["InvoiceNo,InvoiceDate,CustomerID,TotalPrice"]
    for offset in range(60):
        day = date(2011, 10, 1) + timedelta(days=offset)
        if day.weekday() != 5:
            rows.append(f"6{offset:05d},{day.isoformat()},12345,30000.0")
    rows.append("C600000,2011-10-03,12345,-50.0")
    (tmp_path / "online_retail_invoice_totals.csv").write_text("\n".join(rows) + "\n")
    # When the command runs on it
    run(tmp_path, tmp_path / "out", monkeypatch)
    # Then the shipped model is scored from DATA's first day, with the dev series as history
    printed = capsys.readouterr().out
    assert "overlaps" not in printed
    assert "model forecast/v2\n" in printed
    assert "1 cancelled/non-positive invoices dropped" in printed
    assert "history 2010-12-01..2011-09-30" in printed
    assert (tmp_path / "out" / "plot.svg").is_file()


def test_the_whole_series_is_scored_from_the_day_after_the_dev_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given DATA = the dev series followed by sixty later days
    dev_file = dev_dir() / "online_retail_invoice_totals.csv"
    rows = dev_file.read_text().splitlines()
    for offset in range(60):
        day = date(2011, 10, 1) + timedelta(days=offset)
        if day.weekday() != 5:
            rows.append(f"6{offset:05d},{day.isoformat()},12345,30000.0")
    (tmp_path / "online_retail_invoice_totals.csv").write_text("\n".join(rows) + "\n")
    # When the command runs on it
    run(tmp_path, tmp_path / "out", monkeypatch)
    # Then the later days are scored by the shipped model, the dev series as history
    printed = capsys.readouterr().out
    assert "scoring DATA from 2011-10-01" in printed
    assert "overlaps" not in printed
    assert "model forecast/v2\n" in printed
    assert "2011-10-02..2011-11-29" in printed  # 1 October 2011 is a Saturday
    assert "history 2010-12-01..2011-09-30" in printed


def test_the_dev_data_is_scored_by_the_dev_hold_out_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the dev directory itself as DATA
    # When the command runs on it
    run(dev_dir(), tmp_path / "out", monkeypatch)
    # Then it says so and scores the days from the last dev ship date with the shipped twin
    # fitted before that date (no history after it, no fit here)
    printed = capsys.readouterr().out
    assert "DATA overlaps the dev series v2 was fitted on" in printed
    assert "model forecast/v2-dev-holdout" in printed
    assert "2011-08-16..2011-09-30" in printed
    assert "history 2010-12-01..2011-08-15" in printed
    rows = [line.split() for line in printed.splitlines() if line.startswith("  model ")]
    assert len(rows) == 2  # the 45-day and the rolling table
    assert all(int(row[-1]) > 0 for row in rows)
