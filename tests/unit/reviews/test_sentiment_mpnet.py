"""What sentiment v4's training module does without torch: it refuses an encoder whose
weights are not the published file's, refuses to release from an unfinished CV, splits a
model's weights into files a Git host takes, which onnxruntime reads as the whole model, and
scores a CV's int8 readings with the float scores' nested bias."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml import sentiment_mpnet


def test_an_encoder_whose_weights_are_not_the_published_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an unpacked encoder directory whose weights were changed
    cache = tmp_path / "all-mpnet-base-v2"
    cache.mkdir()
    (cache / "model.safetensors").write_bytes(b"not the weights")
    monkeypatch.setattr(sentiment_mpnet, "CACHE", cache)

    # When the training asks for it, Then it stops and says why
    with pytest.raises(SystemExit, match="sha256"):
        sentiment_mpnet.encoder_dir()


def test_a_release_needs_every_fold_of_the_cv(tmp_path: Path) -> None:
    # Given a CV with two of its three folds scored
    for fold in (0, 1):
        np.savez(tmp_path / f"fold{fold}.npz", oof=np.zeros((1, 3)), index=np.asarray([fold]))

    # When the release reads it, Then it stops: the neutral bias needs every fold
    with pytest.raises(SystemExit, match="2 of 3 folds"):
        sentiment_mpnet.cv_scores(tmp_path)


def test_split_weights_keep_every_file_small_and_the_model_the_same(tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    # Given a model y = (x @ A) @ B whose two weights are 64 KB each
    rng = np.random.default_rng(13)
    a = rng.standard_normal((128, 128)).astype(np.float32)
    b = rng.standard_normal((128, 128)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "A"], ["h"]),
            helper.make_node("MatMul", ["h", "B"], ["y"]),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 128])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 128])],
        [numpy_helper.from_array(a, "A"), numpy_helper.from_array(b, "B")],
    )
    path = tmp_path / "model.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    x = rng.standard_normal((1, 128)).astype(np.float32)
    before = ort.InferenceSession(str(path)).run(None, {"x": x})[0]

    # When its weights are split into files of at most 70 KB
    files = sentiment_mpnet.split_weights(path, limit=70_000)

    # Then each weight has a file of its own, none over the limit, and the model reads the same
    assert files == ["model.onnx", "model.onnx.part0", "model.onnx.part1"]
    assert all((tmp_path / name).stat().st_size <= 70_000 for name in files)
    after = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
    np.testing.assert_array_equal(before, after)


def test_int8_readings_of_a_cv_are_scored_with_the_float_scores_nested_bias(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import json

    # Given a finished CV of M12 (no frozen layers, seeds 113+fold) whose int8 readings are
    # the float ones as log-probabilities
    rng = np.random.default_rng(7)
    n = 90
    folds = np.arange(n) % 3
    labels = rng.integers(0, 3, n)
    logits = rng.standard_normal((n, 3)) + np.eye(3)[labels] * 1.5
    run = tmp_path / sentiment_mpnet.run_name(0, 113)
    run.mkdir()
    assert run.name == "mpnet-top12-seed113"
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    for fold in range(3):
        held = np.flatnonzero(folds == fold)
        np.savez(
            run / f"fold{fold}.npz",
            oof=logits[held],
            oof_int8=log_p[held],
            index=held,
            folds=folds,
            labels=labels,
            sources=np.asarray(["a"] * n),
        )

    # When the CV is analysed
    sentiment_mpnet.analyse(argparse.Namespace(out=tmp_path, frozen_layers=0, seed=113))

    # Then the int8 line scores exactly as the float one with its nested bias
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    by_method = {line["method"]: line for line in lines}
    float_line = by_method["mpnet-top12-seed113 (fp32) + neutral bias (nested CV)"]
    int8_line = by_method["mpnet-top12-seed113 (int8) + the float's nested bias"]
    assert int8_line["macro_f1_folds"] == float_line["macro_f1_folds"]
    assert int8_line["macro_f1"] == float_line["macro_f1"]
