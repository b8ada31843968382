"""Fitting and judging forecast models in numpy: what the scheduled retraining workflow
(``functions/forecast_retrain.py``) runs inside Lambda, and what ``ml/forecast`` (the
laptop's ``make train-forecast``) builds on. No training-only package: numpy, and
onnxruntime (the ML layer) only to check an exported graph.

ONNX without the ``onnx`` package: a retrained model keeps its configuration, so its
graph has the shipped graph's shape; ``reparameterised_onnx`` writes the new weights and
interval quantiles over the old ones' bytes in the shipped ``model.onnx`` (float64
initializers stored raw), and the evaluation step proves onnxruntime then scores exactly
what numpy does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from chalicelib.forecasting.model import (
    BUCKET_EDGES,
    Config,
    Floats,
    ForecastModel,
    bucket_of,
    fit_weights,
)

# Hyperparameters a retraining run may change (the graph's shape stays the same).
TUNABLE = ("ridge", "halflife", "long_window", "decay", "trend_damping")


def fit(
    days: Sequence[date],
    values: Floats,
    config: Config,
    quantiles: Floats | None = None,
    version: str = "dev",
    epoch: date | None = None,
) -> ForecastModel:
    """The model of ``config`` fitted on a history (intervals: ``quantiles`` or none)."""
    start = epoch or days[0]
    weights = fit_weights(days, values, config, start)
    q = quantiles if quantiles is not None else np.zeros((len(BUCKET_EDGES) - 1, 2))
    return ForecastModel(config, start, weights, q, 0.8, version)


def quantiles(
    errors: list[tuple[int, float]], coverage: float = 0.8, fallback: Floats | None = None
) -> Floats:
    """Lower/upper log-error quantiles per horizon bucket; a bucket with under 30 errors
    takes ``fallback``'s row when given, else its nearest shorter bucket's spread widened
    by the square root of the horizon ratio."""
    lo_q, hi_q = (1 - coverage) / 2, 1 - (1 - coverage) / 2
    buckets = len(BUCKET_EDGES) - 1
    out = np.zeros((buckets, 2))
    last: tuple[float, float, int] | None = None
    for b in range(buckets):
        errs = [e for h, e in errors if bucket_of(h) == b]
        if len(errs) >= 30:
            out[b] = (np.quantile(errs, lo_q), np.quantile(errs, hi_q))
            last = (out[b, 0], out[b, 1], BUCKET_EDGES[b])
        elif fallback is not None:
            out[b] = fallback[b]
        elif last is not None:
            scale = float(np.sqrt(BUCKET_EDGES[b] / last[2]))
            out[b] = (last[0] * scale, last[1] * scale)
    return out


def rolling(
    model: ForecastModel, days: Sequence[date], values: Floats, start: date, horizon: int = 7
) -> tuple[Floats, Floats, list[int]]:
    """The rolling-origin protocol from ``start`` to the history's end: every calendar day
    an origin, history = the actuals before it, the next ``horizon`` trading days
    forecast; (forecasts, actuals, horizons) pooled."""
    forecasts: list[float] = []
    actuals: list[float] = []
    horizons: list[int] = []
    end = days[-1]
    origin = start
    while origin <= end:
        n = sum(1 for d in days if d < origin)
        ahead = list(range(n, min(len(days), n + horizon)))
        if n and ahead:
            predicted = model.forecast(days[:n], values[:n], [days[i] for i in ahead]).median
            forecasts += [float(v) for v in predicted]
            actuals += [float(values[i]) for i in ahead]
            horizons += list(range(1, len(ahead) + 1))
        origin += timedelta(days=1)
    return np.asarray(forecasts), np.asarray(actuals), horizons


def wape(forecast: Floats, actual: Floats) -> float:
    return float(np.sum(np.abs(forecast - actual)) / max(float(np.sum(np.abs(actual))), 1e-9))


def log_errors(forecast: Floats, actual: Floats, horizons: list[int]) -> list[tuple[int, float]]:
    return [(h, float(np.log(a / f))) for h, a, f in zip(horizons, actual, forecast, strict=True)]


def reparameterised_onnx(template: bytes, old: ForecastModel, new: ForecastModel) -> bytes:
    """The shipped graph with ``new``'s weights and quantiles in place of ``old``'s."""
    if len(old.weights) != len(new.weights) or old.quantiles.shape != new.quantiles.shape:
        raise ValueError("a retrained model must keep the graph's shape (its configuration)")
    out = template
    pairs = (
        (old.weights, new.weights),
        (old.quantiles[:, 0].copy(), new.quantiles[:, 0].copy()),
        (old.quantiles[:, 1].copy(), new.quantiles[:, 1].copy()),
    )
    for before, after in pairs:
        raw = np.ascontiguousarray(before, dtype="<f8").tobytes()
        if out.count(raw) != 1:
            raise ValueError("the template's parameters are not where the model says")
        out = out.replace(raw, np.ascontiguousarray(after, dtype="<f8").tobytes())
    return out


def onnx_difference(
    path: Path, model: ForecastModel, days: Sequence[date], values: Floats
) -> float:
    """The largest relative difference of onnxruntime's scores from numpy's on a 90-day
    forecast from a history (the ML layer's onnxruntime)."""
    import onnxruntime as ort

    from chalicelib.forecasting.model import trading_days

    future = trading_days(days[-1] + timedelta(days=1), days[-1] + timedelta(days=90))
    x, c, b = model.predict_parts(days, values, future)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    got = session.run(None, {"features": x, "correction": c, "bucket": b})
    want = model.score(x, c, b)
    return max(float(np.max(np.abs(g - w) / np.abs(w))) for g, w in zip(got, want, strict=True))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(directory: Path, meta: dict[str, Any]) -> None:
    """``manifest.json`` listing every other file of ``directory`` with its sha256."""
    files = {
        p.name: {"sha256": sha256(p), "bytes": p.stat().st_size}
        for p in sorted(directory.iterdir())
        if p.is_file() and p.name != "manifest.json"
    }
    (directory / "manifest.json").write_text(json.dumps({**meta, "files": files}, indent=1) + "\n")
