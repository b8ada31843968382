"""The evaluation commands run end to end on a tiny copy of the receipts layout: the
tampered-set generator, `eval-authenticity` (shipped model) and `eval-bills` (real OCR)."""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.bills import eval_authenticity, eval_bills, tamper, unlisted
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
    # per method: a tampered one against every genuine image, every tampered image
    # against each genuine kind (the originals among them)
    assert "digit_paste    tampered" in printed
    assert "AUC vs all genuine" in printed
    original = next(line for line in printed.splitlines() if line.strip().startswith("original"))
    assert "AUC all tampered vs these" in original


def test_the_unlisted_edits_change_a_few_pixels_near_the_digits_and_nothing_else(
    tiny: Path, tmp_path: Path
) -> None:
    # Given the probe's six edit kinds, none of which the training generator makes
    out = tmp_path / "unlisted"

    # When the probe set is written from the tiny receipts (all of them, any part)
    assert unlisted.main([str(tiny), str(out), "--part", "all"]) == 0

    # Then each receipt has its original, a re-save and one image per edit, labelled
    with (out / "authenticity.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["method"], r["label"]) for r in rows} >= {
        ("original", "genuine"),
        ("resave", "genuine"),
        *((method, "tampered") for method in unlisted.METHODS),
    }
    assert not set(unlisted.METHODS) & set(tamper.METHODS)
    # and an edit changes a small region (the digits), not the page
    for row in rows:
        if row["label"] != "tampered":
            continue
        before = np.asarray(Image.open(tiny / "images" / f"{row['source']}.jpg").convert("L"))
        after = np.asarray(Image.open(out / "images" / f"{row['stem']}.jpg").convert("L"))
        changed = np.abs(before.astype(int) - after.astype(int)) > 60
        assert changed.mean() < 0.01, row["stem"]


def test_post_edit_variants_keep_their_edit_method_and_leave_every_other_image_unchanged(
    tiny: Path, tmp_path: Path
) -> None:
    # Given the generator run as before, and again with every edit also processed after it
    plain, with_post = tmp_path / "plain", tmp_path / "post"
    assert tamper.main([str(tiny), str(plain)]) == 0
    assert tamper.main([str(tiny), str(with_post), "--post-share", "1"]) == 0
    # When both sets are read
    with (with_post / "authenticity.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    before = (plain / "authenticity.csv").read_text().splitlines()[1:]
    # Then every earlier image is there byte for byte, with an empty ``post``
    for line in before:
        stem = line.split(",")[0]
        assert (plain / "images" / f"{stem}.jpg").read_bytes() == (
            with_post / "images" / f"{stem}.jpg"
        ).read_bytes()
    assert sum(1 for row in rows if not row["post"]) == len(before)
    # and each edit (and each re-save) has a cropped or rescaled copy that keeps its method
    post = [row for row in rows if row["post"]]
    assert {row["post"] for row in post} <= {"crop", "rescale"}
    assert {row["method"] for row in post if row["label"] == "tampered"} == {
        row["method"] for row in rows if row["label"] == "tampered" and not row["post"]
    }
    assert {row["method"] for row in post if row["label"] == "genuine"} == {"resave"}
    assert all((with_post / "images" / f"{row['stem']}.jpg").exists() for row in post)


def test_a_post_edit_crop_moves_the_8x8_grid() -> None:
    # Given an image whose pixels tell their own position (red = x, green = y)
    rows, cols = np.indices((256, 256), dtype=np.uint8)
    image = Image.fromarray(np.dstack([cols, rows, np.zeros_like(rows)]))
    assert image.getpixel((5, 7)) == (5, 7, 0)
    for seed in range(20):
        # When it is cropped after the edit
        cropped = tamper.post_processed(image, "crop", random.Random(seed))
        # Then the left and top trims are 1-31 pixels and never whole 8x8 blocks
        left, top = (int(v) for v in np.asarray(cropped)[0, 0, :2])
        assert 1 <= left <= 31
        assert 1 <= top <= 31
        assert left % 8 != 0
        assert top % 8 != 0
    rescaled = tamper.post_processed(image, "rescale", random.Random(1))
    assert 0.59 * 256 <= rescaled.size[0] <= 0.91 * 256


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


def test_eval_bills_can_print_the_pipelines_decision_on_each_receipt(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # When the two genuine receipts are evaluated with their decisions
    report = tmp_path / "report.json"
    assert eval_bills.main([str(tiny), "--decisions", "--json", str(report)]) == 0
    printed = capsys.readouterr().out
    # Then each has the status the pipeline's checks give it, and the table counts them
    rows = json.loads(report.read_text())["rows"]
    by_stem = {row["stem"]: row["decision"] for row in rows}
    assert by_stem["001"] == {"status": "VERIFIED", "failed": []}  # the README's demo bill
    assert all(d["status"] in eval_bills.STATUSES for d in by_stem.values())
    assert "the pipeline's decision on each receipt" in printed
    assert "(of 2)" in printed


def test_the_auc_is_the_rank_statistic() -> None:
    import numpy as np

    labels = np.asarray([0, 0, 1, 1])
    assert eval_authenticity.auc(labels, np.asarray([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert eval_authenticity.auc(labels, np.asarray([0.1, 0.2, 0.3, 0.4])) == 1.0
    assert eval_authenticity.auc(np.asarray([0, 0]), np.asarray([0.1, 0.2])) is None


def test_eval_authenticity_names_what_it_leaves_out(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a listing with two readable images, one that is not an image, one missing and
    # one with a label that is neither genuine nor tampered
    (tiny / "images" / "broken.jpg").write_bytes(b"not a jpeg")
    (tiny / "authenticity.csv").write_text(
        "stem,label\n001,genuine\n003,tampered\nbroken,tampered\ngone,genuine\n001,forged\n"
    )

    # When the shipped model is evaluated on it
    assert eval_authenticity.main([str(tiny), "--latency", "1"]) == 0

    # Then the two readable images are scored and the three others named, not fatal
    captured = capsys.readouterr()
    assert "2 images, 1 tampered" in captured.out
    assert "3 listed images left out" in captured.out
    for stem in ("broken", "gone", "001: label 'forged'"):
        assert f"left out {stem}" in captured.err
