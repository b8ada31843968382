"""The issue's two forecast protocols, the metrics and the two baselines.

- **45-day**: one forecast made at the first day of the evaluated period for the trading
  days in the next 45 calendar days (that day included); history = everything before.
- **Rolling origin**: every calendar day of the period is an origin; history = all
  actuals before it; the next 7 trading days (the origin itself if it trades) are
  forecast, horizons 1-7; targets past the period's end are not scored. All (origin,
  horizon) pairs are pooled.

Metrics over the scored pairs: MAE; sMAPE = mean 2|f-a|/(|f|+|a|); WAPE = Σ|f-a|/Σ|a|;
bias = Σ(f-a)/Σa (positive: over-forecast).
Baselines: seasonal naive (the latest actual on the same weekday before the origin — a
week before for horizons within the week) and the 28-day moving average (the mean of the
trading days in the 28 calendar days before the origin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from chalicelib.forecasting.model import Floats, ForecastModel
from ml.forecast.data import Series

# A method: (history, days to forecast) -> forecasts (median)
Method = Callable[[Series, list[date]], Floats]


def seasonal_naive(history: Series, days: list[date]) -> Floats:
    last: dict[int, float] = {}
    for day, value in zip(history.days, history.values, strict=True):
        last[day.weekday()] = float(value)
    fallback = float(history.values[-1])
    return np.asarray([last.get(d.weekday(), fallback) for d in days], dtype=np.float64)


def moving_average_28(history: Series, days: list[date]) -> Floats:
    if not days:
        return np.zeros(0)
    end = history.days[-1]
    window = [
        v for d, v in zip(history.days, history.values, strict=True) if d > end - timedelta(days=28)
    ]
    return np.full(len(days), float(np.mean(window)), dtype=np.float64)


def model_method(model: ForecastModel) -> Method:
    def run(history: Series, days: list[date]) -> Floats:
        return model.forecast(history.days, history.values, days).median

    return run


@dataclass(frozen=True)
class Scores:
    mae: float
    smape: float
    wape: float
    bias: float
    n: int

    def row(self) -> dict[str, float]:
        return {
            "MAE": self.mae,
            "sMAPE": self.smape,
            "WAPE": self.wape,
            "bias": self.bias,
            "n": self.n,
        }


def scores(forecast: Floats, actual: Floats) -> Scores:
    err = forecast - actual
    denom = np.abs(forecast) + np.abs(actual)
    return Scores(
        mae=float(np.mean(np.abs(err))),
        smape=float(
            np.mean(np.where(denom > 0, 2 * np.abs(err) / np.where(denom > 0, denom, 1), 0))
        ),
        wape=float(np.sum(np.abs(err)) / np.sum(np.abs(actual))),
        bias=float(np.sum(err) / np.sum(np.abs(actual))),
        n=len(actual),
    )


def forty_five(
    method: Method, history: Series, period: Series
) -> tuple[list[date], Floats, Floats]:
    """(days, forecast, actual) of the 45-day protocol at the period's first day."""
    start = period.days[0]
    target = period.between(start, start + timedelta(days=44))
    return target.days, method(history, target.days), target.values


def rolling(
    method: Method, history: Series, period: Series, start: date, end: date, horizon: int = 7
) -> tuple[Floats, Floats, list[int]]:
    """(forecast, actual, horizons) pooled over the rolling origins ``start``..``end``."""
    full = history + period
    forecasts: list[float] = []
    actuals: list[float] = []
    horizons: list[int] = []
    origin = start
    while origin <= end:
        past = full.before(origin)
        ahead = [(d, v) for d, v in zip(full.days, full.values, strict=True) if origin <= d <= end][
            :horizon
        ]
        if ahead and past.days:
            predicted = method(past, [d for d, _ in ahead])
            forecasts += [float(v) for v in predicted]
            actuals += [v for _, v in ahead]
            horizons += list(range(1, len(ahead) + 1))
        origin += timedelta(days=1)
    return np.asarray(forecasts), np.asarray(actuals), horizons
