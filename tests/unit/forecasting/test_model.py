"""The forecast model: the shipped ONNX graph scores exactly what the numpy model (the
training library's) does, and the forecast follows a series' own level and weekdays."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from chalicelib.forecasting.model import (
    Config,
    ForecastModel,
    feature_names,
    features,
    fit_weights,
    peak_season,
    trading_days,
    yearly_index,
)
from ml.forecast import onnx_export, select
from ml.forecast.data import Series

MODELS = Path(__file__).resolve().parents[3] / "models" / "forecast"
SHIPPED = MODELS / "v2"


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


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_shipped_onnx_equals_numpy_on_fixed_inputs(version: str) -> None:
    # Given a shipped model (v1 is kept: a pointer may still name it) and fixed inputs
    model = ForecastModel.load(MODELS / version)
    x, correction, buckets = _fixed_inputs(model)
    # When both score them
    session = ort.InferenceSession(
        str(MODELS / version / "model.onnx"), providers=["CPUExecutionProvider"]
    )
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


def test_the_peak_season_step_starts_on_its_day_every_year() -> None:
    # Given a configuration with the peak season from 15 September
    config = Config(fourier=0, trend=False, peak_start="09-15")
    days = [date(2011, 9, 14), date(2011, 9, 15), date(2011, 12, 31), date(2012, 1, 4)]
    # When its features are built
    x = features(days, config, date(2010, 12, 1))
    # Then the step is 1 from the start day to the year's end and 0 again in January
    assert feature_names(config)[-1] == "peak_season"
    assert x[:, -1].tolist() == [0.0, 1.0, 1.0, 0.0]
    # …and a ramp rises linearly to 1
    ramp = peak_season([date(2011, 9, 1), date(2011, 9, 15), date(2011, 10, 30)], "09-01", 30)
    np.testing.assert_allclose(ramp, [1 / 30, 0.5, 1.0])


def test_huber_weights_keep_one_huge_invoice_from_moving_the_fit() -> None:
    # Given a steady series with one day at forty times its level (a wholesale invoice)
    series = _series(days=200)
    values = series.values.copy()
    values[100] *= 40
    plain = Config(fourier=0, trend=False, huber=0.0)
    robust = Config(fourier=0, trend=False, huber=0.3)
    # When both fits see it
    clean = fit_weights(series.days, series.values, plain, series.days[0])
    moved_plain = fit_weights(series.days, values, plain, series.days[0])
    moved_robust = fit_weights(series.days, values, robust, series.days[0])
    # Then the Huber fit moves far less than the least-squares fit
    assert np.max(np.abs(moved_robust - clean)) < 0.3 * np.max(np.abs(moved_plain - clean))


def test_winsorised_residuals_limit_a_spikes_pull_on_the_short_level() -> None:
    # Given a model and a history whose last day is a spike
    fitted = select.fit(_series(), Config(fourier=0, trend=False, halflife=7.0))
    history = _series()
    values = history.values.copy()
    values[-1] *= 20
    clipped = ForecastModel(
        Config(fourier=0, trend=False, halflife=7.0, clip=0.5),
        fitted.epoch,
        fitted.weights,
        fitted.quantiles,
    )
    # When both compute the level state
    short_plain, *_ = fitted.level(history.days, values)
    short_clipped, *_ = clipped.level(history.days, values)
    # Then the spike lifts the winsorised level by at most 0.5 log units times its weight
    assert short_clipped < short_plain
    assert short_clipped < 0.1


def test_the_yearly_shape_holds_the_peak_season() -> None:
    # Given the shipped model (its year is the peak-season step and the Christmas week)
    model = ForecastModel.load(SHIPPED)
    # When its yearly shape is read per month
    index = dict(yearly_index(model))
    # Then October and November stand above the months before September, the Christmas
    # week pulls December below them, and an average month is 1
    assert index[10] > 1.2 * index[6]
    assert index[11] > index[12] > index[6]
    assert abs(float(np.mean(np.log(list(index.values()))))) < 1e-9
