"""What sentiment v4's training module does without torch: it refuses an encoder whose
weights are not the published file's, refuses to release from an unfinished CV, and splits a
model's weights into files a Git host takes, which onnxruntime reads as the whole model."""

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
