"""Choosing the method on the dev data only, at the emulated ship dates of ``folds``.

At each ship date S the model is fitted on the dev days before S and scored by both
protocols after it (``folds.run``); the configuration with the lowest selection score
(the mean of both protocols' mean fold WAPE) wins. The interval quantiles come from the
winner's out-of-sample log errors.
"""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np

from chalicelib.forecasting.model import (
    BUCKET_EDGES,
    Config,
    ForecastModel,
    fit_weights,
)
from ml.forecast import folds, protocol
from ml.forecast.data import Series

DEV_END = date(2011, 9, 30)


def grid() -> list[Config]:
    """Structure (yearly Fourier pairs, a trend, the peak-season step), fit (ridge, Huber)
    and level state (half-life, long window, decay, winsorising)."""
    configs = []
    for fourier, trend, peak, ridge, huber, halflife, long_window, decay, clip in itertools.product(
        (0, 2),
        (False, True),
        ("", "09-01", "09-15"),
        (1.0, 3.0),
        (0.0, 0.3),
        (14.0, 28.0),
        (120, 250),
        (0.95, 1.0),
        (0.0, 0.5),
    ):
        configs.append(
            Config(
                fourier=fourier,
                trend=trend,
                ridge=ridge,
                halflife=halflife,
                long_window=long_window,
                decay=decay,
                peak_start=peak,
                clip=clip,
                huber=huber,
            )
        )
    return configs


def fit(series: Series, config: Config, version: str = "dev") -> ForecastModel:
    epoch = series.days[0]
    weights = fit_weights(series.days, series.values, config, epoch)
    zero = np.zeros((len(BUCKET_EDGES) - 1, 2))
    return ForecastModel(config, epoch, weights, zero, version=version)


def factory(config: Config) -> folds.Factory:
    return lambda history: protocol.model_method(fit(history, config))


def shift(ships: list[date] | tuple[date, ...], series: Series) -> list[date]:
    """The ship dates at the same distance before ``series``' end as before the dev
    data's end (a training series other than the dev data)."""
    back = series.days[-1].toordinal() - DEV_END.toordinal()
    return [date.fromordinal(s.toordinal() + back) for s in ships]


def run(series: Series, factory_: folds.Factory) -> folds.Result:
    return folds.run(
        series, factory_, shift(folds.SHIPS_45, series), shift(folds.SHIPS_ROLLING, series)
    )


def choose(
    series: Series, configs: list[Config], progress: bool = True
) -> tuple[Config, float, list[tuple[int, float]]]:
    """The configuration with the lowest selection score, its score and its
    out-of-sample log errors (for the interval quantiles)."""
    from tqdm import tqdm

    best: tuple[float, Config, list[tuple[int, float]]] | None = None
    for config in tqdm(
        configs, desc="choosing on dev hold-outs", disable=not progress, mininterval=1.0
    ):
        result = run(series, factory(config))
        score = result.score()
        if best is None or score < best[0]:
            best = (score, config, result.log_errors)
    assert best is not None
    return best[1], best[0], best[2]
