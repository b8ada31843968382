"""The evaluation commands run end to end on a tiny copy of the receipts layout: the
tampered-set generator, `eval-authenticity` (shipped model) and `eval-bills` (real OCR)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ml.bills import eval_authenticity, eval_bills, tamper
from tests.integration.bills.conftest import receipts_dir

STEMS = ("001", "003")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    source = receipts_dir()
    for folder, suffix in (("images", ".jpg"), ("labels", ".json"), ("boxes", ".csv")):
        (tmp_path / folder).mkdir()
        for stem in STEMS:
            shutil.copyfile(
                source / folder / f"{stem}{suffix}", tmp_path / folder / f"{stem}{suffix}"
            )
    return tmp_path


def test_the_generator_makes_a_labelled_set_the_eval_reads(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "set"
    assert tamper.main([str(tiny), str(out)]) == 0
    rows = (out / "authenticity.csv").read_text().splitlines()
    assert rows[0] == "stem,label,method,source"
    labels = {line.split(",")[1] for line in rows[1:]}
    assert labels == {"genuine", "tampered"}
    methods = {line.split(",")[2] for line in rows[1:]}
    assert set(tamper.TAMPERED) <= methods
    assert all((out / "images" / f"{line.split(',')[0]}.jpg").exists() for line in rows[1:])

    assert eval_authenticity.main([str(out), "--latency", "2"]) == 0
    printed = capsys.readouterr().out
    assert "ROC AUC" in printed
    assert "confusion matrix" in printed
    assert "baseline: mean ELA" in printed


def test_eval_bills_prints_per_field_accuracy_baseline_and_seconds(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    assert eval_bills.main([str(tiny), "--json", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "baseline (plain rapidocr + simple)" in printed
    assert "seconds per receipt" in printed
    rows = json.loads(report.read_text())["rows"]
    assert [row["stem"] for row in rows] == list(STEMS)
    by_stem = {row["stem"]: row for row in rows}
    assert by_stem["001"]["ours"]["total"] is True  # RM 60.30 after rounding
    assert by_stem["001"]["ours"]["date"] is True


def test_the_auc_is_the_rank_statistic() -> None:
    import numpy as np

    labels = np.asarray([0, 0, 1, 1])
    assert eval_authenticity.auc(labels, np.asarray([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert eval_authenticity.auc(labels, np.asarray([0.1, 0.2, 0.3, 0.4])) == 1.0
    assert eval_authenticity.auc(np.asarray([0, 0]), np.asarray([0.1, 0.2])) is None
