"""``make train-forecast``: choose the forecast model on dev hold-outs, fit it on all the
dev data, export ONNX, write ``models/forecast/<version>/``.

1. Choose: every configuration of ``select.grid()`` is fitted at each emulated ship date
   inside the dev series (``select.FOLDS``) and scored by both protocols there; the lowest
   mean WAPE wins (``--config-from model.json`` skips this and reuses a shipped model's
   configuration: the scheduled retraining does that).
2. Interval quantiles: the winner's out-of-sample log errors per horizon bucket.
3. Fit the winner on the whole series; export ``model.json`` (numpy twin) and
   ``model.onnx``; check both score the same; write ``evaluation.json`` (the hold-out
   folds, model beside seasonal naive and the 28-day moving average), ``plot.svg`` and
   ``manifest.json`` (files with sha256, as ``chalicelib/core/model_store`` expects).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from chalicelib.forecasting.model import Config, ForecastModel
from chalicelib.forecasting.training import quantiles as interval_quantiles
from chalicelib.forecasting.training import write_manifest
from ml.forecast import onnx_export, report, select
from ml.forecast.data import Series, dev_dir, read_totals

ROOT = Path(__file__).resolve().parents[2]


def onnx_matches(model: ForecastModel, path: Path, series: Series) -> float:
    """The largest relative difference between onnxruntime and numpy on a 60-day forecast."""
    import onnxruntime as ort

    from chalicelib.forecasting.model import trading_days

    end = series.days[-1]
    days = trading_days(date_after(end), date_after(end, 90))
    x, c, b = model.predict_parts(series.days, series.values, days)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"features": x, "correction": c, "bucket": b})
    want = model.score(x, c, b)
    return max(float(np.max(np.abs(g - w) / np.abs(w))) for g, w in zip(got, want, strict=True))


def date_after(day: Any, days: int = 1) -> Any:
    return day.fromordinal(day.toordinal() + days)


def train(
    series: Series, out: Path, version: str, config: Config | None, progress: bool = True
) -> dict[str, Any]:
    started = time.perf_counter()
    if config is None:
        config, cv_wape, errors = select.choose(series, select.grid(), progress)
    else:
        _, cv_wape, errors = select.choose(series, [config], progress=False)
    quantiles = interval_quantiles(errors)
    final = select.fit(series, config, version)
    model = ForecastModel(final.config, final.epoch, final.weights, quantiles, 0.8, version)

    folds = {}
    for ship in select.folds_for(series):
        history, period = series.before(ship), series.between(ship, series.days[-1])
        fold_model = select.fit(history, config)
        fold_model = ForecastModel(config, fold_model.epoch, fold_model.weights, quantiles)
        folds[ship.isoformat()] = report.evaluate(
            fold_model, history, period, ship, series.days[-1]
        )
    mean: dict[str, Any] = {}
    for proto in ("45_day", "rolling_1_7"):
        mean[proto] = {
            name: {
                metric: float(np.mean([f[proto][name][metric] for f in folds.values()]))
                for metric in ("MAE", "sMAPE", "WAPE", "bias")
            }
            for name in ("model", "seasonal_naive", "moving_average_28")
        }
    last_ship = select.folds_for(series)[-1]
    last_model = select.fit(series.before(last_ship), config)
    last_model = ForecastModel(config, last_model.epoch, last_model.weights, quantiles)

    out.mkdir(parents=True, exist_ok=True)
    (out / "model.json").write_text(json.dumps(model.to_json(), indent=1) + "\n")
    onnx_export.export(model, out / "model.onnx")
    difference = onnx_matches(model, out / "model.onnx", series)
    (out / "plot.svg").write_text(
        report.plot(
            last_model,
            series.before(last_ship),
            series.between(last_ship, series.days[-1]),
            f"dev hold-out: 45-day forecast made {last_ship} (fit on the days before)",
        )
    )
    evaluation = {
        "protocol": "dev hold-out: at each ship date the model is fit on the days before it; "
        "45-day forecast at the ship date, rolling origins ship date..end (horizons 1-7)",
        "config": config.as_dict(),
        "selection_mean_wape": cv_wape,
        "mean_over_folds": mean,
        "folds": folds,
        "onnx_max_relative_difference": difference,
    }
    (out / "evaluation.json").write_text(json.dumps(evaluation, indent=1) + "\n")
    seconds = time.perf_counter() - started
    write_manifest(
        out,
        {
            "name": "forecast",
            "version": version,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "data": {
                "first_day": series.days[0].isoformat(),
                "last_day": series.days[-1].isoformat(),
                "trading_days": len(series.days),
            },
            "served": "model.json (numpy, API Lambda); model.onnx is the same scoring graph",
            "training_seconds": round(seconds, 2),
        },
    )
    return evaluation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=None, help="a directory with online_retail_invoice_totals.csv"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "forecast" / "v1")
    parser.add_argument("--version", default="v1")
    parser.add_argument("--config-from", type=Path, default=None)
    args = parser.parse_args()
    series = read_totals(args.data or dev_dir())
    config = None
    if args.config_from:
        config = ForecastModel.load(args.config_from).config
    evaluation = train(series, args.out, args.version, config)
    print("chosen:", evaluation["config"])
    print("dev hold-out, mean over folds:")
    print(report.table(evaluation["mean_over_folds"]))
    print(
        f"ONNX vs numpy max relative difference: {evaluation['onnx_max_relative_difference']:.2e}"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
