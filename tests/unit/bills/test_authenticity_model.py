"""The authenticity model's pixel features and its ONNX export: an exported candidate
gives scikit-learn's probabilities, the shipped model gets the features its card names,
and the copy-move feature finds a copied digit."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from chalicelib.bills import authenticity, forensics
from tests.unit.bills.pages import printed_page


def _jpeg(pixels: NDArray[np.float64], quality: int = 95) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _gray_of_jpeg(pixels: NDArray[np.float64]) -> NDArray[np.float32]:
    return np.asarray(Image.open(io.BytesIO(_jpeg(pixels))).convert("L"), np.float32)


@pytest.mark.parametrize("version", ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
def test_the_shipped_model_is_given_only_the_features_its_card_names(version: str) -> None:
    # Given a shipped model and feature rows of everything this code computes, where
    # the features the model was not trained on are garbage
    model = authenticity.shipped(version)
    named = list(model.card["features"])
    rng = np.random.default_rng(5)
    rows = np.full((4, len(forensics.FEATURES)), np.nan, np.float32)
    own = rng.normal(size=(4, len(named))).astype(np.float32)
    for column, name in enumerate(named):
        rows[:, forensics.FEATURES.index(name)] = own[:, column]
    # When the rows are scored
    scores = authenticity.score_features(model, rows)
    # Then the model saw its own features, in its order
    direct = np.asarray(model.session.run(None, {"features": own})[1])[:, 1]
    assert np.isfinite(scores).all()
    assert np.allclose(scores, direct)


@pytest.mark.parametrize("version", ["v2", "v3", "v4", "v5", "v6", "v7"])
def test_the_shipped_onnx_file_gives_the_probabilities_scikit_learn_gave(version: str) -> None:
    # Given a shipped model (v3-v7: two forests and the larger probability, in one graph) and
    # the rows its card recorded at training time
    model = authenticity.shipped(version)
    check = model.card["onnx_check"]
    rows = np.asarray(check["rows"], np.float32)
    # When onnxruntime scores them
    scores = np.asarray(model.session.run(None, {"features": rows})[1])[:, 1]
    # Then they are scikit-learn's probabilities for the same rows
    assert np.allclose(scores, check["sklearn_probability"], atol=1e-4)


def test_an_exported_candidate_model_equals_scikit_learn(tmp_path: Path) -> None:
    pytest.importorskip("skl2onnx")
    from sklearn.base import clone

    from ml.bills import train_authenticity

    # Given a candidate fitted on fixed rows
    rng = np.random.default_rng(14)
    features = rng.normal(size=(120, len(forensics.FEATURES))).astype(np.float32)
    labels = (features[:, 0] + 0.5 * features[:, 3] > 0).astype(np.int64)
    v4_first = train_authenticity.FIRST_FOREST["v1+dq+twins+twins3"]  # v1's + dq's columns
    dq = (31, 32)  # v5: trained with dq-blind copies of every row
    every = {**train_authenticity.candidates(), **train_authenticity.candidates(v4_first, dq)}
    assert {"max_v1dq_all", "max_v1dq_all_blind"} <= set(every)
    for name, candidate in every.items():
        model = clone(candidate)
        if hasattr(model, "n_estimators"):
            model.set_params(n_estimators=20)
        if isinstance(model, train_authenticity.MaxOfTwo):
            model.set_params(first__n_estimators=20, second__n_estimators=20)
        fitted = model.fit(features, labels)
        # When it is exported to ONNX and checked
        path = tmp_path / f"{name}.onnx"
        train_authenticity.export(fitted, path)
        check = train_authenticity.onnx_check(fitted, path, features)
        # Then onnxruntime agrees with scikit-learn on every row
        assert check["max_abs"] < 1e-4, name


def test_blind_copies_teach_that_a_missing_lattice_is_no_sign_of_a_genuine_bill() -> None:
    pytest.importorskip("sklearn")
    from sklearn.ensemble import ExtraTreesClassifier

    from ml.bills import train_authenticity

    # Given rows where only the genuine ones lack the "lattice" (column 1 at 0) and the
    # edits show in column 0 only faintly; and new edits that come without a lattice
    def rows(seed: int) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        rng = np.random.default_rng(seed)
        labels = np.repeat([0, 1], 200)
        features = rng.normal(size=(400, 4)).astype(np.float32)
        features[:, 0] += 0.8 * labels
        lattice = (labels == 1) | (rng.random(400) < 0.5)
        features[:, 1] = np.where(lattice, 1.0 + 2.0 * labels, 0.0)
        return features, labels

    features, labels = rows(3)
    new, new_labels = rows(4)
    edits_without_lattice = new[new_labels == 1]
    edits_without_lattice[:, 1] = 0.0

    def forest() -> ExtraTreesClassifier:
        return ExtraTreesClassifier(n_estimators=50, random_state=1)

    plain = train_authenticity.MaxOfTwo(forest(), forest(), first_columns=2)
    blind = train_authenticity.MaxOfTwo(forest(), forest(), first_columns=2, blind=(1,))
    # When both are trained, and edits without a lattice are scored
    plain_score = plain.fit(features, labels).predict_proba(edits_without_lattice)[:, 1]
    blind_score = blind.fit(features, labels).predict_proba(edits_without_lattice)[:, 1]
    # Then the model trained with blind copies does not call them genuine out of hand
    assert plain_score.mean() < 0.3
    assert blind_score.mean() > plain_score.mean() + 0.2


def test_a_mark_copied_elsewhere_on_the_page_is_a_near_exact_repeat() -> None:
    # Given a page of distinct marks, and the same page with one mark copied off the grid
    page = printed_page(7)
    edited = page.copy()
    edited[107:125, 61:71] = page[10:28, 8:18]
    # When both are saved as JPEG and searched for repeated blocks
    clean_cluster, clean_ratio, _ = forensics._duplicates(_gray_of_jpeg(page))
    copied_cluster, copied_ratio, _ = forensics._duplicates(_gray_of_jpeg(edited))
    # Then only the edited page has a cluster of close repeats at one displacement
    assert copied_cluster >= 4
    assert copied_cluster > clean_cluster
    assert copied_ratio > clean_ratio


def test_features_of_a_receipt_are_finite_and_in_the_models_order() -> None:
    # Given an image of a printed page
    data = _jpeg(printed_page(3))
    # When its features are computed
    values = forensics.features(data)
    # Then there is one finite value per named feature
    assert values.shape == (len(forensics.FEATURES),)
    assert np.isfinite(values).all()


def test_a_digit_copied_onto_another_line_is_a_glyph_twin() -> None:
    from chalicelib.bills import twins

    # Given a printed page (each mark with its own grain), and the same page with one
    # digit's pixels copied over a digit of another line, on the grid's wrong phase
    page = printed_page(11)
    gray = _gray_of_jpeg(page)
    image = np.clip(gray, 0, 255).astype(np.uint8)
    ink = image < 128
    cols = np.flatnonzero(ink[10:30].any(axis=0))
    first = cols[0]
    last = first
    while last + 1 < ink.shape[1] and ink[10:30, last + 1].any():
        last += 1
    source = page[8:32, first - 2 : last + 3]
    edited = page.copy()
    edited[131 : 131 + source.shape[0], first - 1 : first - 1 + source.shape[1]] = source
    # When the glyph twins of both are measured (after a JPEG save)
    clean = dict(zip(twins.NAMES, twins.features(_gray_of_jpeg(page)), strict=True))
    copied = dict(zip(twins.NAMES, twins.features(_gray_of_jpeg(edited)), strict=True))
    # Then the edited page has a twin on another line far closer than its print repeats
    assert copied["twin_min_xline"] < 0.6 * clean["twin_min_xline"]
    assert copied["twin_z_xline"] > clean["twin_z_xline"] + 1.5
    # (the copy and its source: each other's close twin)
    assert copied["twin_close_xline"] >= 2 > clean["twin_close_xline"]


def _page_with_large_totals(seed: int) -> NDArray[np.float64]:
    """Body lines of small print and two amount lines printed twice as tall (a total)."""
    rng = np.random.default_rng(seed)
    page = Image.new("L", (260, 300), 235)
    draw = ImageDraw.Draw(page)
    small = ImageFont.load_default(size=14)
    large = ImageFont.load_default(size=28)
    for row in range(10, 190, 20):
        text = " ".join(f"{rng.integers(10, 999)}.{rng.integers(0, 99):02d}" for _ in range(3))
        draw.text((8, row), text, fill=30, font=small)
    draw.text((8, 200), "TOTAL 35.40", fill=30, font=large)
    draw.text((8, 250), "CASH 78.16", fill=30, font=large)
    pixels = np.asarray(page.filter(ImageFilter.GaussianBlur(0.7)), np.float64)
    return np.clip(pixels + rng.normal(0, 4, pixels.shape), 0, 255)


def test_a_total_digit_copied_from_another_total_is_a_v3_twin() -> None:
    from chalicelib.bills import twins

    # Given a receipt whose totals are printed twice as tall as its body text, and the same
    # receipt with the last digit of one total copied over the last digit of the other
    page = _page_with_large_totals(3)
    ink = page < 128

    def last_glyph(top: int, bottom: int) -> tuple[int, int]:
        cols = np.flatnonzero(ink[top:bottom].any(axis=0))
        end = int(cols[-1])
        start = end
        while start > 0 and ink[top:bottom, start - 1].any():
            start -= 1
        return start, end

    s0, s1 = last_glyph(200, 240)
    t0, t1 = last_glyph(250, 290)
    edited = page.copy()
    edited[250 + 1 : 290 + 1, t0 - 2 : t1 + 3] = 235.0  # the old digit painted out
    source = page[200:240, s0 - 2 : s1 + 3]
    edited[250 + 1 : 250 + 1 + source.shape[0], t0 - 2 : t0 - 2 + source.shape[1]] = source
    # When v2's and v3's twins of both are measured (after a JPEG save)
    clean3 = dict(zip(twins.NAMES3, twins.features3(_gray_of_jpeg(page)), strict=True))
    copied3 = dict(zip(twins.NAMES3, twins.features3(_gray_of_jpeg(edited)), strict=True))
    copied2 = dict(zip(twins.NAMES, twins.features(_gray_of_jpeg(edited)), strict=True))
    # Then v3 finds an other-line twin far closer than the receipt's print repeats itself
    assert copied3["twin3_min_xline"] < 0.5 * clean3["twin3_min_xline"]
    assert copied3["twin3_z_xline"] > clean3["twin3_z_xline"] + 1.5
    # and v2, which keeps only marks of body-text height, does not see it as well
    assert copied2["twin_min_xline"] > copied3["twin3_min_xline"]
