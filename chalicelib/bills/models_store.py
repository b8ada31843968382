"""Trained models for inference: ONNX bytes and their card, from the models bucket.

TODO(lead): this should become the shared loader (``load_model(name, version)`` with a
per-container cache, the reviews branch's); it has the same shape so the switch is one
import. Kept tiny on purpose.

Layout in the bucket (``models_bucket`` setting, ``ModelsBucket`` in the template):
``<name>/v<version>/model.onnx`` and ``<name>/v<version>/card.json`` (features, threshold,
cross-validation). The repository ships the trained files under ``models/<area>/``;
``publish`` copies them to the bucket (the local cloud does it when it seeds).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.core import aws
from chalicelib.core.settings import get_settings

PACKAGED = Path(__file__).resolve().parents[2] / "models"
_cache: dict[tuple[str, int], LoadedModel] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class LoadedModel:
    """An onnxruntime session (created once per container) and the model's card."""

    name: str
    version: int
    session: Any
    card: dict[str, Any]


def _key(name: str, version: int, file: str) -> str:
    return f"{name}/v{version}/{file}"


def session_of(onnx: bytes) -> Any:
    import onnxruntime  # the ML layer

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(onnx, options, providers=["CPUExecutionProvider"])


def load_model(name: str, version: int) -> LoadedModel:
    """The model ``name`` at ``version`` from the models bucket, cached per container."""
    with _lock:
        found = _cache.get((name, version))
        if found is None:
            s3 = aws.client("s3")
            bucket = get_settings().models_bucket
            onnx = s3.get_object(Bucket=bucket, Key=_key(name, version, "model.onnx"))[
                "Body"
            ].read()
            card = json.loads(
                s3.get_object(Bucket=bucket, Key=_key(name, version, "card.json"))["Body"].read()
            )
            found = LoadedModel(name, version, session_of(onnx), card)
            _cache[(name, version)] = found
        return found


def packaged(area: str, name: str, version: int) -> LoadedModel:
    """The model as shipped in the repository (evaluation commands; no AWS)."""
    base = PACKAGED / area / f"{name}-v{version}"
    card = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
    return LoadedModel(name, version, session_of(base.with_suffix(".onnx").read_bytes()), card)


def publish(area: str, name: str, version: int) -> None:
    """Copy the shipped model and card to the models bucket (deploy and local seeding)."""
    base = PACKAGED / area / f"{name}-v{version}"
    s3 = aws.client("s3")
    bucket = get_settings().models_bucket
    s3.put_object(
        Bucket=bucket,
        Key=_key(name, version, "model.onnx"),
        Body=base.with_suffix(".onnx").read_bytes(),
    )
    s3.put_object(
        Bucket=bucket,
        Key=_key(name, version, "card.json"),
        Body=base.with_suffix(".json").read_bytes(),
        ContentType="application/json",
    )


def forget() -> None:
    """Drop the cached sessions (tests)."""
    with _lock:
        _cache.clear()


def publish_all() -> list[str]:
    """Publish every model shipped under ``models/<area>/<name>-v<version>.onnx`` (with
    its card); the keys written."""
    written = []
    for onnx in sorted(PACKAGED.glob("*/*-v*.onnx")):
        name, _, version = onnx.stem.rpartition("-v")
        if onnx.with_suffix(".json").exists() and version.isdigit():
            publish(onnx.parent.name, name, int(version))
            written.append(_key(name, int(version), "model.onnx"))
    return written
