"""``make train-forecast``: choose the forecast model on dev hold-outs, fit it on all the
dev data, export ONNX, write ``models/forecast/<version>/``.

1. Choose: every configuration of ``select.grid()`` is fitted at each emulated ship date
   inside the dev series (``folds.SHIPS_45``, ``folds.SHIPS_ROLLING``) and scored by both
   protocols there; the lowest mean WAPE wins (``--config-from model.json`` skips this
   and reuses a shipped model's configuration: the scheduled retraining does that).
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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from chalicelib.forecasting.model import Config, ForecastModel
from chalicelib.forecasting.training import quantiles as interval_quantiles
from chalicelib.forecasting.training import write_manifest
from ml.forecast import folds, onnx_export, protocol, report, select
from ml.forecast.data import Series, dev_dir, read_totals

ROOT = Path(__file__).resolve().parents[2]
V1 = ROOT / "models" / "forecast" / "v1"
DEV_HOLDOUT = "dev-holdout"


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


def _tables(series: Series, config: Config, quantiles: Any) -> dict[str, Any]:
    """Every fold's scores of the model, v1's configuration refitted at each fold and both
    baselines, on the new folds and on v1's four."""
    methods: dict[str, folds.Factory] = {
        "model": select.factory(config),
        "seasonal_naive": folds.baseline(protocol.seasonal_naive),
        "moving_average_28": folds.baseline(protocol.moving_average_28),
    }
    if V1.is_dir():
        methods["v1_config"] = select.factory(ForecastModel.load(V1).config)
    out: dict[str, Any] = {}
    for fold_set in ("folds", "v1_folds"):
        results = {
            name: select.run(series, f) if fold_set == "folds" else folds.v1_protocol(series, f)
            for name, f in methods.items()
        }
        mean = {
            proto: {name: r.mean()[proto] for name, r in results.items()}
            for proto in ("45_day", "rolling_1_7")
        }
        per_fold = {
            proto: {
                name: {
                    ship: s.row()
                    for ship, s in (r.forty_five if proto == "45_day" else r.rolling).items()
                }
                for name, r in results.items()
            }
            for proto in ("45_day", "rolling_1_7")
        }
        out[fold_set] = {
            "selection_score": {name: r.score() for name, r in results.items()},
            "mean_over_folds": mean,
            "per_fold": per_fold,
        }
    return out


def write_dev_holdout(
    series: Series, out: Path, config: Config, quantiles: Any, ship: date, version: str
) -> ForecastModel:
    """The shipped recipe fitted on the days before the last dev ship date, kept beside the
    model in ``dev-holdout/`` (not in the manifest: never published or served) so that
    ``make eval-forecast`` on the dev data itself scores a model that never saw its days."""
    fitted = select.fit(series.before(ship), config)
    model = ForecastModel(
        config, fitted.epoch, fitted.weights, quantiles, 0.8, f"{version}-dev-holdout"
    )
    holdout = out / DEV_HOLDOUT
    holdout.mkdir(parents=True, exist_ok=True)
    (holdout / "model.json").write_text(json.dumps(model.to_json(), indent=1) + "\n")
    (holdout / "holdout.json").write_text(
        json.dumps({"fitted_before": ship.isoformat(), "version": model.version}) + "\n"
    )
    return model


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
    tables = _tables(series, config, quantiles)

    last_ship = select.shift(folds.SHIPS_45, series)[-1]
    last_model = write_dev_holdout(series, out, config, quantiles, last_ship, version)

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
    (out / "plot_ahead.svg").write_text(
        report.plot_ahead(model, series, 75, f"{version}: the 75 days after the dev data")
    )
    evaluation = {
        "protocol": "dev hold-outs (ml/forecast/folds.py): at each ship date the model is fit "
        "on the days before it; 45-day forecast at the ship date (9 folds); rolling origins "
        "over the 45 days from the ship date, horizons 1-7, weights fixed (11 folds). "
        "v1_folds: v1's four ship dates, rolling origins to the end of the dev data. "
        "v1_config: v1's configuration refitted at each fold.",
        "config": config.as_dict(),
        "selection_score": cv_wape,
        "mean_over_folds": tables["folds"]["mean_over_folds"],
        **tables,
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
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "forecast" / "v2")
    parser.add_argument("--version", default="v2")
    parser.add_argument("--config-from", type=Path, default=None)
    args = parser.parse_args()
    series = read_totals(args.data or dev_dir())
    config = None
    if args.config_from:
        config = ForecastModel.load(args.config_from).config
    evaluation = train(series, args.out, args.version, config)
    print("chosen:", evaluation["config"])
    for fold_set in ("folds", "v1_folds"):
        print(f"dev hold-outs ({fold_set}), mean over folds:")
        print(report.table(evaluation[fold_set]["mean_over_folds"]))
        scores = evaluation[fold_set]["selection_score"]
        print("selection score:", {k: round(v, 4) for k, v in scores.items()})
    print(
        f"ONNX vs numpy max relative difference: {evaluation['onnx_max_relative_difference']:.2e}"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
