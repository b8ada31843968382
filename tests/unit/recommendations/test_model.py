"""The ONNX graph scores exactly as the numpy model it was exported from (fixed inputs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from chalicelib.recommendations.ranking import RecsModel, reference_scores
from chalicelib.recommendations.training import Interaction, Params, fit, write_model

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted((ROOT / "models" / "recs").glob("v*"))


def _tables(directory: Path) -> dict[str, Any]:
    graph = onnx.load(str(directory / "model.onnx")).graph
    return {init.name: numpy_helper.to_array(init) for init in graph.initializer}


def _interactions() -> list[Interaction]:
    rng = np.random.default_rng(5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Interaction(
            f"u{int(rng.integers(40))}",
            f"p{int(rng.integers(25))}",
            start + timedelta(days=int(rng.integers(90))),
            float(rng.choice([0.25, 0.5, 1.0])),
        )
        for _ in range(300)
    ]


def _assert_same(model: RecsModel, tables: dict[str, Any], history: list[int]) -> None:
    weights = np.linspace(1.0, 0.25, num=len(history), dtype=np.float32)
    exclude = [*history, 3]
    ranked = model.rank(list(zip(history, weights.tolist(), strict=True)), exclude, 10)
    expected = reference_scores(
        tables["neighbours"].astype(np.int64),
        tables["weights_table"],
        tables["prior"],
        np.asarray(history, dtype=np.int64),
        weights,
        np.asarray(exclude, dtype=np.int64),
        1.0,
    )
    # The scores the graph returns are the numpy scores of those items, and they are the
    # ten best of numpy's (ties aside: compared as values).
    np.testing.assert_allclose(ranked.scores, expected[ranked.items], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ranked.scores, np.sort(expected)[::-1][:10], rtol=1e-5, atol=1e-6)
    assert not set(ranked.items.tolist()) & set(exclude)
    # Each reason is the history item that contributed most to the item (or none).
    for item, reason in zip(ranked.items.tolist(), ranked.reasons.tolist(), strict=True):
        rows = tables["neighbours"][history]
        contribution = np.where(rows == item, tables["weights_table"][history], 0).sum(axis=1)
        contribution = contribution * weights
        if contribution.max() <= 1e-12:
            assert reason == -1
        else:
            assert reason == int(np.argmax(contribution))


def test_a_trained_graph_scores_as_numpy_on_fixed_inputs(tmp_path: Path) -> None:
    # Given a model fitted on fixed interactions and exported
    trained = fit(_interactions(), Params(neighbours=8))
    write_model(trained, tmp_path, name="recs", version="t", extra={})
    model = RecsModel(tmp_path)
    # Then the graph holds the trained tables, and scores fixed histories as numpy does
    tables = _tables(tmp_path)
    np.testing.assert_array_equal(tables["neighbours"], trained.neighbours)
    np.testing.assert_array_equal(tables["weights_table"], trained.weights)
    for history in ([0], [1, 4, 7], [2, 5, 9, 11, 20]):
        _assert_same(model, tables, history)


@pytest.mark.parametrize("shipped", SHIPPED, ids=[p.name for p in SHIPPED])
def test_the_shipped_graph_scores_as_numpy_on_fixed_inputs(shipped: Path) -> None:
    model = RecsModel(shipped)
    tables = _tables(shipped)
    for history in ([0], [10, 200, 1500], list(range(100, 130))):
        _assert_same(model, tables, history)


def test_related_items_come_from_neighbours_only(tmp_path: Path) -> None:
    # Given a trained model, when asked for items related to one item (no prior)
    trained = fit(_interactions(), Params(neighbours=8))
    write_model(trained, tmp_path, name="recs", version="t", extra={})
    ranked = RecsModel(tmp_path).rank([(2, 1.0)], [2], 5, prior_scale=0.0)
    # Then every positive score is one of that item's neighbours, and each reason is it
    for item, score, reason in zip(ranked.items, ranked.scores, ranked.reasons, strict=True):
        if score > 0:
            assert int(item) in trained.neighbours[2].tolist()
            assert reason == 0


def test_an_empty_history_ranks_by_the_prior(tmp_path: Path) -> None:
    trained = fit(_interactions(), Params(neighbours=8))
    write_model(trained, tmp_path, name="recs", version="t", extra={})
    ranked = RecsModel(tmp_path).rank([], [], 5)
    assert ranked.items.tolist() == np.argsort(-trained.prior, kind="stable")[:5].tolist()
    assert ranked.reasons.tolist() == [-1] * 5


def test_the_numpy_scorer_ranks_as_the_graph(tmp_path: Path) -> None:
    from chalicelib.recommendations.ranking import NumpyModel

    trained = fit(_interactions(), Params(neighbours=8))
    write_model(trained, tmp_path, name="recs", version="t", extra={})
    graph, plain = RecsModel(tmp_path), NumpyModel(tmp_path)
    for history in ([(0, 1.0)], [(3, 0.5), (9, 1.0)]):
        exclude = [h for h, _ in history]
        a, b = graph.rank(history, exclude, 6), plain.rank(history, exclude, 6)
        np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5, atol=1e-6)


def test_items_with_shared_title_words_become_neighbours_without_co_purchases(
    tmp_path: Path,
) -> None:
    # Given two items nobody bought together, whose titles share a rare word
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [Interaction(f"u{n}", "mug", start, 1.0) for n in range(5)]
    rows += [Interaction(f"v{n}", "lamp", start, 1.0) for n in range(5)]
    rows += [Interaction(f"w{n}", item, start, 1.0) for n in range(5) for item in ("cup", "pen")]
    texts = {"mug": "RED RETROSPOT MUG", "lamp": "RED RETROSPOT LAMP", "cup": "BLUE CUP"}
    plain = fit(rows, Params(neighbours=2, content_weight=0.0))
    blended = fit(rows, Params(neighbours=2, content_weight=0.2), texts=texts)
    mug, lamp = blended.keys.index("mug"), blended.keys.index("lamp")
    # Then content puts the lamp first among the mug's neighbours (co-purchases alone do not)
    assert plain.weights[mug].max() == 0.0
    assert blended.neighbours[mug][0] == lamp
    assert blended.weights[mug][0] > 0.0
    # And related products for the mug (the graph, no prior) lead with the lamp
    write_model(blended, tmp_path, name="recs", version="t", extra={})
    ranked = RecsModel(tmp_path).rank([(mug, 1.0)], [mug], 1, prior_scale=0.0)
    assert ranked.items.tolist() == [lamp]
    assert ranked.reasons.tolist() == [0]


def test_an_older_manifest_keeps_its_own_recipe() -> None:
    # Given the parameters a v1 manifest recorded (before content similarity existed)
    v1 = {"l2": 200.0, "neighbours": 100, "prior_days": 60.0, "prior_weight": 0.3}
    # Then its recipe has content and popularity scaling off, and the new fields round-trip
    assert Params.of_manifest(v1) == Params(
        prior_weight=0.3, content_weight=0.0, popularity_exponent=0.0
    )
    assert Params.of_manifest(Params().__dict__) == Params()
