"""Scoring a method by both protocols beside the two baselines, as a printed table."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from chalicelib.forecasting.model import ForecastModel
from chalicelib.forecasting.plot import forecast_svg
from ml.forecast import protocol
from ml.forecast.data import Series


def evaluate(
    model: ForecastModel, history: Series, period: Series, start: date, end: date
) -> dict[str, Any]:
    """45-day and rolling-origin scores of the model and both baselines, plus the model's
    80 % interval coverage, on ``period`` (forecast from ``history`` + period actuals)."""
    methods = {
        "model": protocol.model_method(model),
        "seasonal_naive": protocol.seasonal_naive,
        "moving_average_28": protocol.moving_average_28,
    }
    out: dict[str, Any] = {"45_day": {}, "rolling_1_7": {}}
    for name, method in methods.items():
        _, f45, a45 = protocol.forty_five(method, history, period)
        out["45_day"][name] = protocol.scores(f45, a45).row()
        fr, ar, _ = protocol.rolling(method, history, period, start, end)
        out["rolling_1_7"][name] = protocol.scores(fr, ar).row()
    days, _, a45 = protocol.forty_five(methods["model"], history, period)
    fc = model.forecast(history.days, history.values, days)
    out["45_day_interval_coverage"] = float(np.mean((a45 >= fc.lower) & (a45 <= fc.upper)))
    return out


def plot(model: ForecastModel, history: Series, period: Series, title: str) -> str:
    days, _, actual = protocol.forty_five(protocol.model_method(model), history, period)
    fc = model.forecast(history.days, history.values, days)
    shown = history.between(date.fromordinal(days[0].toordinal() - 120), days[0])
    return forecast_svg(
        title,
        list(zip(shown.days, shown.values.tolist(), strict=True)),
        [
            (d, float(m), float(lo), float(hi))
            for d, m, lo, hi in zip(days, fc.median, fc.lower, fc.upper, strict=True)
        ],
        list(zip(days, actual.tolist(), strict=True)),
    )


def plot_ahead(model: ForecastModel, series: Series, days: int, title: str) -> str:
    """The forecast of the ``days`` calendar days after ``series`` (the trading calendar),
    beside the series' last 300 days: no actuals (the dev data's future)."""
    from chalicelib.forecasting.model import trading_days

    end = series.days[-1]
    future = trading_days(
        date.fromordinal(end.toordinal() + 1), date.fromordinal(end.toordinal() + days)
    )
    fc = model.forecast(series.days, series.values, future)
    shown = series.between(date.fromordinal(end.toordinal() - 300), end)
    return forecast_svg(
        title,
        list(zip(shown.days, shown.values.tolist(), strict=True)),
        [
            (d, float(m), float(lo), float(hi))
            for d, m, lo, hi in zip(future, fc.median, fc.lower, fc.upper, strict=True)
        ],
    )


def table(result: dict[str, Any]) -> str:
    lines = []
    for protocol_name in ("45_day", "rolling_1_7"):
        lines.append(f"\n{protocol_name}")
        lines.append(f"  {'method':<20}{'MAE':>10}{'sMAPE':>8}{'WAPE':>8}{'bias':>8}{'n':>6}")
        for name, row in result[protocol_name].items():
            lines.append(
                f"  {name:<20}{row['MAE']:>10.0f}{row['sMAPE']:>8.3f}{row['WAPE']:>8.3f}"
                f"{row['bias']:>+8.3f}{row.get('n', ''):>6}"
            )
    return "\n".join(lines)
