"""Choosing the method on the dev data only: emulated shipping dates inside the dev series.

At each dev "ship date" S (the fold), the model is fitted on the dev days before S and
scored by both protocols as if the period started at S (45-day forecast made at S; rolling
origins S..end of dev). The configuration with the lowest mean WAPE over folds and both
protocols wins. The interval quantiles come from the winner's out-of-sample log errors.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

import numpy as np

from chalicelib.forecasting.model import (
    BUCKET_EDGES,
    Config,
    ForecastModel,
    fit_weights,
)
from ml.forecast import protocol
from ml.forecast.data import Series

FOLDS = (date(2011, 6, 1), date(2011, 7, 1), date(2011, 8, 1), date(2011, 8, 16))


def grid() -> list[Config]:
    configs = []
    for fourier, trend, ridge, halflife, long_window, decay, damping in itertools.product(
        (1, 2, 3),
        (False, True),
        (1.0, 3.0, 10.0),
        (7.0, 14.0, 28.0),
        (60,),
        (0.9, 1.0),
        (0.0, 0.95, 0.99),
    ):
        configs.append(
            Config(fourier, trend, ridge, halflife, long_window, decay, trend_damping=damping)
        )
    return configs


def fit(series: Series, config: Config, version: str = "dev") -> ForecastModel:
    epoch = series.days[0]
    weights = fit_weights(series.days, series.values, config, epoch)
    zero = np.zeros((len(BUCKET_EDGES) - 1, 2))
    return ForecastModel(config, epoch, weights, zero, version=version)


@dataclass
class FoldResult:
    wape_45: float
    wape_rolling: float
    log_errors: list[tuple[int, float]]


def run_fold(dev: Series, ship: date, config: Config) -> FoldResult:
    history = dev.before(ship)
    period = dev.between(ship, dev.days[-1])
    model = fit(history, config)
    method = protocol.model_method(model)
    days, f45, a45 = protocol.forty_five(method, history, period)
    fr, ar, hr = protocol.rolling(method, history, period, ship, dev.days[-1])
    errors = [
        (h, float(np.log(a / f))) for h, a, f in zip(range(1, len(days) + 1), a45, f45, strict=True)
    ]
    errors += [(h, float(np.log(a / f))) for h, a, f in zip(hr, ar, fr, strict=True)]
    return FoldResult(protocol.scores(f45, a45).wape, protocol.scores(fr, ar).wape, errors)


def folds_for(series: Series) -> list[date]:
    """The emulated ship dates: FOLDS when the series is the dev data, else the same
    offsets (122, 92, 61, 46 days) before the series' end."""
    end = series.days[-1]
    if end == date(2011, 9, 30):
        return list(FOLDS)
    return [date.fromordinal(end.toordinal() - back) for back in (122, 92, 61, 46)]


def choose(
    series: Series, configs: list[Config], progress: bool = True
) -> tuple[Config, float, list[tuple[int, float]]]:
    """The configuration with the lowest mean hold-out WAPE (both protocols, every fold),
    its score and its out-of-sample log errors (for the interval quantiles)."""
    from tqdm import tqdm

    ships = folds_for(series)
    best: tuple[float, Config, list[tuple[int, float]]] | None = None
    for config in tqdm(
        configs, desc="choosing on dev hold-out", disable=not progress, mininterval=1.0
    ):
        folds = [run_fold(series, ship, config) for ship in ships]
        score = float(np.mean([(f.wape_45 + f.wape_rolling) / 2 for f in folds]))
        if best is None or score < best[0]:
            best = (score, config, [e for f in folds for e in f.log_errors])
    assert best is not None
    return best[1], best[0], best[2]
