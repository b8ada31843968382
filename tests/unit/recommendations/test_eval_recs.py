"""`make eval-recs` on tiny synthetic lines files: a later period is scored with the shipped
model as the protocol fixes; a DATA inside the model's training period falls back to the
model's dev-holdout companion (written by the training command) with a notice, and never
trains. The companion is never published with the model."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chalicelib.core import model_store
from chalicelib.recommendations import training
from chalicelib.recommendations.ranking import RecsModel
from chalicelib.recommendations.training import Params, fit, write_model
from ml.recs import evaluate, protocol
from ml.recs import train as train_command
from ml.recs.data import read_descriptions, read_lines

FIELDS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice"]
WORDS = ["RED HEART", "BLUE STAR", "GREEN TREE", "PINK BAG", "GOLD LAMP", "TEA CUP"]
CUT = datetime(2011, 4, 1)


def _write_lines(directory: Path, start: datetime, days: int, seed: int) -> Path:
    """Purchases of 40 customers over 24 items in ``days`` days from ``start``: each
    customer keeps to one of six tastes (items sharing title words), plus cancelled and
    uncleaned rows the protocol drops."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True)
    with (directory / "online_retail_lines.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*FIELDS, "CustomerID", "Country"])
        for n in range(600):
            customer = int(rng.integers(40))
            item = (customer % 6) * 4 + int(rng.integers(4)) if rng.random() < 0.8 else 0
            item = int(rng.integers(24)) if rng.random() < 0.2 else item
            at = start + timedelta(days=int(rng.integers(days)), minutes=int(rng.integers(600)))
            invoice = f"C{n}" if n % 50 == 0 else str(500000 + n)
            row = [invoice, f"{10000 + item}", f"{WORDS[item // 4]} {item}", "2"]
            writer.writerow([*row, f"{at:%Y-%m-%d %H:%M:%S}", "1.5", f"{12000 + customer}.0", "UK"])
        postage = ["600000", "POST", "POSTAGE", "1", f"{start:%Y-%m-%d} 10:00:00", "5", "", ""]
        writer.writerow(postage)
    return directory


@pytest.fixture
def dev(tmp_path: Path) -> Path:
    """The dev file: 2011-01-01 … 2011-05-31."""
    return _write_lines(tmp_path / "dev", datetime(2011, 1, 1), 151, seed=1)


@pytest.fixture
def shipped(dev: Path, tmp_path: Path) -> Path:
    """A model trained on the whole dev file, with its dev-holdout companion (fit before
    2011-04-01) written by the training command's code."""
    lines, texts = read_lines(dev), read_descriptions(dev)
    out = tmp_path / "models" / "recs" / "vt"
    trained = fit(protocol.interactions(lines), Params(), texts=texts)
    write_model(trained, out, name="recs", version="vt", extra={})
    train_command.write_holdout(lines, texts, Params(), out, version="vt", cut=CUT)
    return out


@pytest.fixture(autouse=True)
def no_latency(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The latency lines (a 100,000-item model) are the benchmark's, not this test's."""
    seen: list[str] = []
    monkeypatch.setattr(evaluate, "print_latency", lambda model: seen.append(model.version))
    return seen


def _shipped_report(shipped: Path, dev: Path, later: Path) -> dict[str, Any]:
    """The protocol's report of the shipped model and popularity, computed directly."""
    train, test = read_lines(dev), read_lines(later)
    rankers = {
        "model": protocol.model_ranker(RecsModel(shipped), train),
        "popularity": protocol.popularity_ranker(train),
    }
    return protocol.evaluate(rankers, train, test)


def _table(report: dict[str, Any]) -> str:
    return protocol.table(report, [k for k in report if k not in {"users", "targets"}])


def test_a_later_period_is_scored_with_the_shipped_model_as_before(
    dev: Path, shipped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a DATA period after the model's training period (2011-06-01 … 2011-07-31)
    later = _write_lines(tmp_path / "later", datetime(2011, 6, 1), 61, seed=2)
    none = tmp_path / "none"

    # When eval-recs runs on it
    code = evaluate.main(
        [str(later), "--train-data", str(dev), "--model", str(shipped), "--previous", str(none)]
    )

    # Then the shipped model is scored with the dev file as the training histories
    printed = capsys.readouterr().out
    assert code == 0
    assert "note:" not in printed
    assert f"recommendations vt on {later} (train: {dev})" in printed
    expected = _shipped_report(shipped, dev, later)
    assert expected["users"] > 10
    assert _table(expected) in printed


def test_the_whole_series_is_scored_on_its_part_after_the_training_period(
    dev: Path, shipped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given DATA = the dev file's lines followed by a shorter later period
    generated = _write_lines(tmp_path / "generated", datetime(2011, 6, 1), 61, seed=2)
    header, *rows = (generated / "online_retail_lines.csv").read_text().splitlines()
    later, whole = tmp_path / "later", tmp_path / "whole"
    later.mkdir()
    whole.mkdir()
    (later / "online_retail_lines.csv").write_text("\n".join([header, *rows[:300]]) + "\n")
    dev_rows = (dev / "online_retail_lines.csv").read_text().splitlines()
    (whole / "online_retail_lines.csv").write_text("\n".join(dev_rows + rows[:300]) + "\n")
    none = tmp_path / "none"

    # When eval-recs runs on it
    code = evaluate.main(
        [str(whole), "--train-data", str(dev), "--model", str(shipped), "--previous", str(none)]
    )

    # Then it says what it left out and scores the later lines exactly as on their own
    printed = capsys.readouterr().out
    assert code == 0
    assert "note: DATA also holds" in printed
    assert "left out; scoring the" in printed
    expected = _shipped_report(shipped, dev, later)
    assert _table(expected) in printed


def test_data_inside_the_training_period_falls_back_to_the_companion_and_never_trains(
    dev: Path,
    shipped: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_latency: list[str],
) -> None:
    # Given DATA = the dev file itself (no later period) and any fitting forbidden
    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval-recs trained a model")

    monkeypatch.setattr(training, "fit", no_training)
    monkeypatch.setattr(train_command, "fit", no_training)
    monkeypatch.setattr(evaluate, "fit", no_training, raising=False)
    missing = tmp_path / "models" / "recs" / "none"

    # When eval-recs runs on it
    code = evaluate.main([str(dev), "--model", str(shipped), "--previous", str(missing)])

    # Then it says so in one line, and prints the dev split of the companion: the numbers
    # the training command recorded, popularity beside, and the shipped model's latency
    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    assert printed[0].startswith("note: DATA (2011-01-01..2011-05-31) is not after vt's")
    assert "dev split" in printed[0]
    holdout = json.loads((shipped / "dev-holdout" / "holdout.json").read_text())
    assert holdout["cutoff"] == CUT.isoformat()
    report = holdout["dev_split"]
    assert report["users"] > 10
    assert _table(report) in "\n".join(printed)
    assert no_latency == ["vt"]


def test_the_previous_models_companion_is_printed_beside_when_there(
    dev: Path, shipped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an earlier model (its own recipe) with a companion
    previous = tmp_path / "models" / "recs" / "vp"
    lines, texts = read_lines(dev), read_descriptions(dev)
    train_command.write_holdout(lines, texts, Params(content_weight=0.0), previous, version="vp")

    # When eval-recs runs on the dev file
    evaluate.main([str(dev), "--model", str(shipped), "--previous", str(previous)])

    # Then the previous companion is a row of the table
    rows = [line.split()[:2] for line in capsys.readouterr().out.splitlines()]
    assert [row[0] for row in rows if row[0] in {"model", "previous", "popularity"}] == [
        "model",
        "previous",
        "popularity",
    ]


def test_without_a_companion_it_says_how_to_make_one(
    dev: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a shipped model without its companion
    lines = read_lines(dev)
    out = tmp_path / "bare"
    write_model(fit(protocol.interactions(lines)), out, name="recs", version="vb", extra={})

    # When eval-recs runs on the dev file
    code = evaluate.main([str(dev), "--model", str(out)])

    # Then it exits 2 and names the command that writes it
    printed = capsys.readouterr().out
    assert code == 2
    assert "note: DATA" in printed
    assert "run make train-recs" in printed


def test_the_companion_is_not_published_with_the_model(
    shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the models folder with a model and its companion
    uploaded: list[tuple[Path, str, str]] = []

    def record(directory: Path, name: str, version: str, *, bucket: str | None = None) -> int:
        uploaded.append((directory, name, version))
        return 1

    monkeypatch.setattr(model_store, "publish_model", record)

    # When the local cloud publishes every model
    model_store.publish_all(shipped.parent.parent)

    # Then only the model's own version goes up, and its manifest does not list the companion
    assert uploaded == [(shipped, "recs", "vt")]
    files = json.loads((shipped / "manifest.json").read_text())["files"]
    assert not any("holdout" in name for name in files)
