"""The sales forecasting model at inference, in numpy only (the API Lambda carries numpy).

A log-linear regression of daily revenue (or units) on calendar features, with a filtered
level state — a structural model in two parts:

- **Fixed part** (trained once, shipped in ``model.json`` and ``model.onnx``): log y_t =
  x_t · w with x_t = [1, trend (years since the model's epoch), weekday dummies, yearly
  Fourier terms (sin/cos of 2π·k·day-of-year/365.25), a Christmas-week flag, a
  peak-season step (from a calendar day in autumn to the year's end: the pre-Christmas
  wholesale season, one multiplicative factor)], each part optional in ``Config``; fitted
  by ridge, optionally with Huber weights (big wholesale invoices weigh less).
- **Level state** (recomputed from the history before each forecast origin, never
  trained): the residuals r = log y - x·w of the history give a short level (an
  exponentially weighted mean, half-life in trading days, of residuals optionally
  winsorised around their recent median) and a long level (the median of the last
  ``long_window`` trading days, robust to spikes). The forecast h trading days
  ahead adds long + (short - long)·decay^(h-1) to x·w. The long level also carries the
  scale of a series the model never saw (a shop's sales, a seller's CSV), so the shape
  learned on the platform (weekday, yearly, trend) is applied at that series' own level.

Intervals: empirical quantiles of the out-of-sample log errors per horizon bucket,
measured on the dev hold-out (``ml/forecast``); the 80 % interval by default.

The ONNX graph (``model.onnx``) computes the same thing from the feature matrix, the
level correction and the horizon bucket: ``exp(X·w + c + [0, q_lo, q_hi][bucket])`` in
float64. The API serves this numpy twin (a dot product does not need onnxruntime's 60 MB
layer on the request path); a test proves both give the same numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

# Horizon buckets (trading days ahead) for the interval quantiles.
BUCKET_EDGES = (1, 2, 4, 8, 15, 30, 60, 120, 10_000)


def bucket_of(horizon: int) -> int:
    """The interval bucket of a horizon of ``horizon`` trading days (1-based)."""
    for index, edge in enumerate(BUCKET_EDGES[1:]):
        if horizon < edge:
            return index
    return len(BUCKET_EDGES) - 2


@dataclass(frozen=True)
class Config:
    """The model's hyperparameters (chosen on the dev hold-out by ``ml/forecast``)."""

    fourier: int = 1
    trend: bool = True
    ridge: float = 1.0
    halflife: float = 7.0
    long_window: int = 40
    decay: float = 0.95
    christmas: bool = True
    # Damped local trend of the level (0: none): the slope of the last ``long_window``
    # residuals, carried forward with this damping per trading day.
    trend_damping: float = 0.0
    # The pre-Christmas peak season ("" : none): a feature 0 before ``peak_start`` (month-
    # day), rising linearly over ``peak_ramp`` days to 1, 1 until the year's end (the
    # Christmas-week flag adds the last week's drop on top).
    peak_start: str = ""
    peak_ramp: int = 1
    # Level state: residuals winsorised at their median ± ``clip`` (log units; 0: none)
    # before the short level's weighted mean, so one wholesale invoice moves it less.
    clip: float = 0.0
    # Fit: Huber weights at ``huber`` log units (iteratively reweighted ridge; 0: plain).
    huber: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "fourier": self.fourier,
            "trend": self.trend,
            "ridge": self.ridge,
            "halflife": self.halflife,
            "long_window": self.long_window,
            "decay": self.decay,
            "christmas": self.christmas,
            "trend_damping": self.trend_damping,
            "peak_start": self.peak_start,
            "peak_ramp": self.peak_ramp,
            "clip": self.clip,
            "huber": self.huber,
        }


def feature_names(config: Config) -> list[str]:
    names = ["intercept"]
    if config.trend:
        names.append("trend_years")
    names += [f"weekday_{day}" for day in range(1, 7)]  # Monday is the reference
    for k in range(1, config.fourier + 1):
        names += [f"year_sin_{k}", f"year_cos_{k}"]
    if config.christmas:
        names.append("christmas_week")
    if config.peak_start:
        names.append("peak_season")
    return names


def peak_season(days: Sequence[date], start: str, ramp: int) -> Floats:
    """The peak-season feature of ``days``: 0 before ``start`` ("MM-DD") in the day's
    year, then (days since start + 1) / ramp up to 1, 1 until 31 December."""
    month, day_of_month = (int(part) for part in start.split("-"))
    out = np.zeros(len(days), dtype=np.float64)
    for i, day in enumerate(days):
        since = (day - date(day.year, month, day_of_month)).days
        if since >= 0:
            out[i] = min(1.0, (since + 1) / max(ramp, 1))
    return out


def features(days: Sequence[date], config: Config, epoch: date) -> Floats:
    """The fixed part's design matrix of ``days`` (one row a day)."""
    n = len(days)
    rows = np.zeros((n, len(feature_names(config))), dtype=np.float64)
    if n == 0:
        return rows
    ordinal = np.fromiter((d.toordinal() for d in days), dtype=np.int64, count=n)
    weekday = (ordinal - 1) % 7  # date.weekday(): Monday 0
    doy = np.fromiter((d.timetuple().tm_yday for d in days), dtype=np.float64, count=n)
    col = 0
    rows[:, col] = 1.0
    col += 1
    if config.trend:
        rows[:, col] = (ordinal - epoch.toordinal()) / 365.25
        col += 1
    for wd in range(1, 7):
        rows[:, col + wd - 1] = weekday == wd
    col += 6
    for k in range(1, config.fourier + 1):
        angle = 2.0 * math.pi * k * doy / 365.25
        rows[:, col] = np.sin(angle)
        rows[:, col + 1] = np.cos(angle)
        col += 2
    if config.christmas:
        rows[:, col] = [1.0 if (d.month == 12 and d.day >= 18) else 0.0 for d in days]
        col += 1
    if config.peak_start:
        rows[:, col] = peak_season(days, config.peak_start, config.peak_ramp)
    return rows


def fit_weights(days: Sequence[date], values: Floats, config: Config, epoch: date) -> Floats:
    """Ridge regression of log values on the features (the intercept is not penalised);
    with ``config.huber``, iteratively reweighted so days far off the fit (a wholesale
    invoice, a half-closed day) weigh as in a Huber loss."""
    x = features(days, config, epoch)
    y = np.log(np.maximum(values, 1e-9))
    penalty = np.eye(x.shape[1]) * config.ridge
    penalty[0, 0] = 0.0
    weights = np.asarray(np.linalg.solve(x.T @ x + penalty, x.T @ y), dtype=np.float64)
    if config.huber > 0:
        for _ in range(20):
            resid = np.abs(y - x @ weights)
            w = np.where(resid <= config.huber, 1.0, config.huber / np.maximum(resid, 1e-12))
            xw = x * w[:, None]
            weights = np.asarray(np.linalg.solve(xw.T @ x + penalty, xw.T @ y), dtype=np.float64)
    return weights


@dataclass(frozen=True)
class Forecast:
    """A forecast for ``days`` (trading days only): median and interval bounds."""

    days: list[date]
    median: Floats
    lower: Floats
    upper: Floats
    horizons: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ForecastModel:
    """The fixed part (weights), the level-state settings and the interval quantiles."""

    config: Config
    epoch: date
    weights: Floats
    quantiles: Floats  # (buckets, 2): log-error quantiles (lower, upper) per horizon bucket
    coverage: float = 0.8
    version: str = "dev"

    # ---- the level state -------------------------------------------------------------
    def residuals(self, days: Sequence[date], values: Floats) -> Floats:
        x = features(days, self.config, self.epoch)
        return np.asarray(np.log(np.maximum(values, 1e-9)) - x @ self.weights, dtype=np.float64)

    def level(self, days: Sequence[date], values: Floats) -> tuple[float, float, float, float]:
        """(short, long, slope, lag) of a history (trading days, positive values): the
        level corrections, the residuals' slope per trading day over the long window (0
        without a local trend) and the short level's mean age in trading days."""
        if len(days) == 0:
            return 0.0, 0.0, 0.0, 0.0
        resid = self.residuals(days, values)
        tail = resid[-self.config.long_window :]
        long = float(np.median(tail))
        alpha = 1.0 - 0.5 ** (1.0 / self.config.halflife)
        ages = np.arange(len(resid) - 1, -1, -1, dtype=np.float64)
        weights = (1.0 - alpha) ** ages
        clipped = resid
        if self.config.clip > 0:
            centre = float(np.median(tail))
            clipped = np.clip(resid, centre - self.config.clip, centre + self.config.clip)
        short = float(np.sum(weights * clipped) / np.sum(weights))
        slope = 0.0
        lag = float(np.sum(weights * ages) / np.sum(weights))
        if self.config.trend_damping > 0 and len(tail) >= 10:
            t = np.arange(len(tail), dtype=np.float64)
            slope = float(np.polyfit(t, tail, 1)[0])
        return short, long, slope, lag

    def corrections(
        self,
        short: float,
        long: float,
        horizons: Sequence[int],
        slope: float = 0.0,
        lag: float = 0.0,
    ) -> Floats:
        h = np.asarray(horizons, dtype=np.float64)
        base = long + (short - long) * self.config.decay ** (h - 1.0)
        phi = self.config.trend_damping
        if phi > 0 and slope != 0.0:
            carried = phi * (1 - phi**h) / (1 - phi) if phi < 1 else h
            base = base + slope * (lag + carried)
        return np.asarray(base, dtype=np.float64)

    # ---- forecasting ------------------------------------------------------------------
    def predict_parts(
        self, history_days: Sequence[date], history_values: Floats, days: Sequence[date]
    ) -> tuple[Floats, Floats, npt.NDArray[np.int64]]:
        """The ONNX graph's inputs for a forecast of ``days``: features, level correction
        and horizon bucket (horizon = position among the forecast trading days)."""
        short, long, slope, lag = self.level(history_days, history_values)
        horizons = list(range(1, len(days) + 1))
        x = features(days, self.config, self.epoch)
        correction = self.corrections(short, long, horizons, slope, lag)
        buckets = np.asarray([bucket_of(h) for h in horizons], dtype=np.int64)
        return x, correction, buckets

    def score(
        self, x: Floats, correction: Floats, buckets: npt.NDArray[np.int64]
    ) -> tuple[Floats, Floats, Floats]:
        """What ``model.onnx`` computes: median, lower, upper."""
        log_mid = x @ self.weights + correction
        q = self.quantiles[buckets]
        return np.exp(log_mid), np.exp(log_mid + q[:, 0]), np.exp(log_mid + q[:, 1])

    def forecast(
        self, history_days: Sequence[date], history_values: Floats, days: Sequence[date]
    ) -> Forecast:
        """Forecast ``days`` (the trading days to come, in order) from a history of
        trading days (ascending dates, positive values)."""
        x, correction, buckets = self.predict_parts(history_days, history_values, days)
        median, lower, upper = self.score(x, correction, buckets)
        return Forecast(list(days), median, lower, upper, list(range(1, len(days) + 1)))

    # ---- persistence ------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "config": self.config.as_dict(),
            "epoch": self.epoch.isoformat(),
            "features": feature_names(self.config),
            "weights": [float(v) for v in self.weights],
            "bucket_edges": list(BUCKET_EDGES),
            "quantiles": [[float(a), float(b)] for a, b in self.quantiles],
            "coverage": self.coverage,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ForecastModel:
        return cls(
            config=Config(**data["config"]),
            epoch=date.fromisoformat(data["epoch"]),
            weights=np.asarray(data["weights"], dtype=np.float64),
            quantiles=np.asarray(data["quantiles"], dtype=np.float64),
            coverage=float(data.get("coverage", 0.8)),
            version=str(data.get("version", "dev")),
        )

    @classmethod
    def load(cls, directory: Path) -> ForecastModel:
        return cls.from_json(json.loads((directory / "model.json").read_text()))


def trading_days(
    start: date, end: date, closed: Sequence[int] = (5,), christmas_closed: bool = True
) -> list[date]:
    """Days from ``start`` to ``end`` inclusive except the closed weekdays (Saturday) and,
    if ``christmas_closed``, the Christmas closure (24 Dec - 3 Jan, as the UCI retailer's):
    the calendar a future is forecast on."""
    days = []
    day = start
    while day <= end:
        closure = christmas_closed and (
            (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day <= 3)
        )
        if day.weekday() not in closed and not closure:
            days.append(day)
        day += timedelta(days=1)
    return days


def yearly_index(model: ForecastModel) -> list[tuple[int, float]]:
    """The model's yearly shape: per month, the mean multiplicative effect of its calendar
    terms of the year (Fourier terms, the peak season, the Christmas week) over the
    month's trading days (1.0 = an average month), as learned on the platform's history."""
    names = feature_names(model.config)
    terms = [
        i
        for i, name in enumerate(names)
        if name.startswith("year_") or name in ("peak_season", "christmas_week")
    ]
    effects: dict[int, list[float]] = {m: [] for m in range(1, 13)}
    days = trading_days(date(2021, 1, 1), date(2021, 12, 31))
    rows = features(days, model.config, model.epoch)
    for day, row in zip(days, rows, strict=True):
        effects[day.month].append(float(sum(row[i] * model.weights[i] for i in terms)))
    means = {m: float(np.mean(v)) for m, v in effects.items()}
    centre = float(np.mean(list(means.values())))
    return [(m, math.exp(means[m] - centre)) for m in range(1, 13)]
