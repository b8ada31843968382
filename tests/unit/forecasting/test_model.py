"""The forecast model: the shipped ONNX graph scores exactly what the numpy model (the
training library's) does, and the forecast follows a series' own level and weekdays."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from chalicelib.forecasting.model import Config, ForecastModel, trading_days
from ml.forecast import onnx_export, select
from ml.forecast.data import Series

SHIPPED = Path(__file__).resolve().parents[3] / "models" / "forecast" / "v1"


def _series(days: int = 300, level: float = 1000.0, seed: int = 3) -> Series:
    rng = np.random.default_rng(seed)
    start = date(2010, 12, 1)
    calendar = trading_days(start, start + timedelta(days=days))
    weekday = np.asarray(
        [1.5 if d.weekday() == 3 else 0.6 if d.weekday() == 6 else 1.0 for d in calendar]
    )
    values = level * weekday * np.exp(rng.normal(0, 0.1, len(calendar)))
    return Series(calendar, values)


def _fixed_inputs(model: ForecastModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    history = _series()
    days = trading_days(date(2011, 10, 1), date(2012, 1, 31))
    return model.predict_parts(history.days, history.values, days)


def test_shipped_onnx_equals_numpy_on_fixed_inputs() -> None:
    # Given the shipped model and fixed inputs (features, level correction, horizon buckets)
    model = ForecastModel.load(SHIPPED)
    x, correction, buckets = _fixed_inputs(model)
    # When both score them
    session = ort.InferenceSession(str(SHIPPED / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(
        ["median", "lower", "upper"], {"features": x, "correction": correction, "bucket": buckets}
    )
    want = model.score(x, correction, buckets)
    # Then the numbers are the same (float64 both ways)
    for onnx_out, numpy_out in zip(got, want, strict=True):
        np.testing.assert_allclose(onnx_out, numpy_out, rtol=1e-12)
    assert np.all(want[1] < want[0])
    assert np.all(want[0] < want[2])


def test_exported_graph_of_a_fresh_fit_equals_numpy(tmp_path: Path) -> None:
    # Given a model fitted on a synthetic series and exported
    series = _series()
    fitted = select.fit(series, ForecastModel.load(SHIPPED).config)
    model = ForecastModel(fitted.config, fitted.epoch, fitted.weights, np.tile([-0.2, 0.3], (8, 1)))
    onnx_export.export(model, tmp_path / "model.onnx")
    # When ONNX and numpy score the same inputs
    x, correction, buckets = _fixed_inputs(model)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"features": x, "correction": correction, "bucket": buckets})
    # Then they agree
    for onnx_out, numpy_out in zip(got, model.score(x, correction, buckets), strict=True):
        np.testing.assert_allclose(onnx_out, numpy_out, rtol=1e-12)


def test_forecast_follows_the_series_level_and_weekdays() -> None:
    # Given a shop's series at a tenth of the platform's scale, Thursdays 1.5x, Sundays 0.6x
    model = ForecastModel.load(SHIPPED)
    history = _series(level=2000.0)
    days = trading_days(history.days[-1] + timedelta(days=1), history.days[-1] + timedelta(days=28))
    # When the platform-trained model forecasts it
    forecast = model.forecast(history.days, history.values, days)
    # Then the forecast sits at the shop's level, not the platform's, with the interval around it
    assert 1000 < float(np.median(forecast.median)) < 4000
    assert np.all(forecast.lower < forecast.median)
    assert np.all(forecast.median < forecast.upper)


def test_a_retrained_models_graph_is_the_shipped_one_reparameterised(tmp_path: Path) -> None:
    # Given the shipped model and a refit of its configuration on another series
    from chalicelib.forecasting import training

    shipped = ForecastModel.load(SHIPPED)
    series = _series(level=500.0, seed=11)
    refit = training.fit(
        series.days, series.values, shipped.config, shipped.quantiles * 1.5, "r1", shipped.epoch
    )
    # When the retraining writes its graph without the onnx package
    graph = training.reparameterised_onnx((SHIPPED / "model.onnx").read_bytes(), shipped, refit)
    (tmp_path / "model.onnx").write_bytes(graph)
    # Then onnxruntime scores it exactly as numpy scores the refit
    assert (
        training.onnx_difference(tmp_path / "model.onnx", refit, series.days, series.values) < 1e-12
    )
    # …and a graph of another shape is refused
    other = training.fit(series.days, series.values, Config(fourier=1), None, "x", shipped.epoch)
    with pytest.raises(ValueError, match="shape"):
        training.reparameterised_onnx((SHIPPED / "model.onnx").read_bytes(), shipped, other)
