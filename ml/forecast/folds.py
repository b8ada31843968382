"""Emulated ship dates inside the dev series: where a method is chosen and judged.

- 45-day: a ship date every 14 days from 2011-05-02 to 2011-08-15, and 2011-08-16 (the
  last whose 45 days end inside the dev data): the model is fitted on the days before and
  forecasts the next 45 calendar days (9 folds).
- rolling 1-7: the same ship dates and 2011-08-29, 2011-09-12; the weights stay those
  fitted before the ship date and the origins run over the next 45 days (or to the dev
  series' end), as they would between two retrainings (11 folds).

A fold's score is the WAPE over its pairs; a method's score is the mean over folds, and
the selection score the mean of both protocols'. The folds overlap (neighbouring 45-day
windows share a month), so their spread understates the noise of a difference.
``V1_FOLDS`` are the four ship dates v1 was chosen on (rolling origins to the series'
end), kept so the two versions compare on the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from chalicelib.forecasting.model import Floats
from ml.forecast import protocol
from ml.forecast.data import Series

SHIPS_45 = [date(2011, 5, 2) + timedelta(days=14 * i) for i in range(8)] + [date(2011, 8, 16)]
SHIPS_ROLLING = [*SHIPS_45, date(2011, 8, 29), date(2011, 9, 12)]
V1_FOLDS = (date(2011, 6, 1), date(2011, 7, 1), date(2011, 8, 1), date(2011, 8, 16))
WINDOW = 45

# A method factory: the history before a ship date -> a method for forecasting after it
Factory = Callable[[Series], protocol.Method]


def baseline(method: protocol.Method) -> Factory:
    return lambda _history: method


@dataclass
class Result:
    """Per-fold scores of both protocols and the out-of-sample log errors (horizon, error)."""

    forty_five: dict[str, protocol.Scores] = field(default_factory=dict)
    rolling: dict[str, protocol.Scores] = field(default_factory=dict)
    log_errors: list[tuple[int, float]] = field(default_factory=list)

    def wapes(self) -> tuple[list[float], list[float]]:
        return [s.wape for s in self.forty_five.values()], [s.wape for s in self.rolling.values()]

    def score(self) -> float:
        """The selection score: the mean of both protocols' mean fold WAPE."""
        w45, wr = self.wapes()
        return 0.5 * float(np.mean(w45)) + 0.5 * float(np.mean(wr))

    def mean(self) -> dict[str, dict[str, float]]:
        out = {}
        for name, table in (("45_day", self.forty_five), ("rolling_1_7", self.rolling)):
            rows = [s.row() for s in table.values()]
            out[name] = {
                k: float(np.mean([r[k] for r in rows])) for k in ("MAE", "sMAPE", "WAPE", "bias")
            }
        return out


def _errors(forecast: Floats, actual: Floats, horizons: list[int]) -> list[tuple[int, float]]:
    return [(h, float(np.log(a / f))) for h, a, f in zip(horizons, actual, forecast, strict=True)]


def run(
    dev: Series,
    factory: Factory,
    ships_45: list[date] | tuple[date, ...] = tuple(SHIPS_45),
    ships_rolling: list[date] | tuple[date, ...] = tuple(SHIPS_ROLLING),
    window: int | None = WINDOW,
) -> Result:
    """Both protocols at every ship date (rolling origins over ``window`` days from the
    ship date, or to the series' end when ``window`` is None)."""
    end = dev.days[-1]
    result = Result()
    for ship in sorted(set(ships_45) | set(ships_rolling)):
        history = dev.before(ship)
        method = factory(history)
        if ship in ships_45:
            _, f, a = protocol.forty_five(method, history, dev.between(ship, end))
            result.forty_five[ship.isoformat()] = protocol.scores(f, a)
            result.log_errors += _errors(f, a, list(range(1, len(a) + 1)))
        if ship in ships_rolling:
            stop = end if window is None else min(end, ship + timedelta(days=window - 1))
            f, a, h = protocol.rolling(method, history, dev.between(ship, stop), ship, stop)
            result.rolling[ship.isoformat()] = protocol.scores(f, a)
            result.log_errors += _errors(f, a, h)
    return result


def v1_protocol(dev: Series, factory: Factory) -> Result:
    """v1's four folds (45-day at each, rolling origins to the end of the dev data)."""
    return run(dev, factory, V1_FOLDS, V1_FOLDS, window=None)
