"""``make eval-forecast DATA=<dir>``: the shipped model (models/forecast/v2) and the two
baselines on ``<dir>/online_retail_invoice_totals.csv``, a period continuing the dev
series. Reads only DATA, the shared dev data and the shipped model; never trains: the
model's weights are fixed, only its level state follows the actuals before each origin.
Prints the table; writes ``<out>/evaluation.json`` and ``<out>/plot.svg``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from chalicelib.forecasting.model import ForecastModel
from ml.forecast import report
from ml.forecast.data import dev_dir, read_totals
from ml.forecast.train import DEV_HOLDOUT

ROOT = Path(__file__).resolve().parents[2]


def dev_holdout(model_dir: Path) -> tuple[ForecastModel, date]:
    """The shipped model's dev hold-out twin and the day it was fitted before."""
    holdout = model_dir / DEV_HOLDOUT
    if not (holdout / "holdout.json").is_file():
        raise SystemExit(f"{holdout} is missing: make train-forecast writes it")
    cutoff = date.fromisoformat(json.loads((holdout / "holdout.json").read_text())["fitted_before"])
    return ForecastModel.load(holdout), cutoff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "forecast" / "v2")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "forecast-eval")
    args = parser.parse_args()
    model = ForecastModel.load(args.model)
    history = read_totals(dev_dir())
    period = read_totals(args.data)
    if period.days and history.days and period.days[0] <= history.days[-1] < period.days[-1]:
        # DATA is the whole series (the dev days, then a later period): the later period is
        # what the protocol scores, with the dev series the shipped model saw as history
        start = history.days[-1] + timedelta(days=1)
        print(
            f"DATA also holds days up to the dev series' last ({history.days[-1]}): scoring "
            f"DATA from {start}"
        )
        period = replace(
            period.between(start, period.days[-1]),
            cancelled_invoices=period.cancelled_invoices,
            cancelled_total=period.cancelled_total,
        )
    if period.days and history.days and period.days[0] <= history.days[-1]:
        # DATA overlaps the dev series the shipped model was fitted on (e.g. DATA = the dev
        # directory itself): its days are scored by the same recipe fitted before the last
        # dev ship date (shipped in dev-holdout/), from that date on; never trained here.
        model, cutoff = dev_holdout(args.model)
        print(
            f"DATA overlaps the dev series {model.version.removesuffix('-dev-holdout')} was "
            f"fitted on: scoring DATA from {cutoff} with its dev hold-out model (fitted on "
            f"the days before {cutoff})"
        )
        history = history.before(cutoff)
        if period.days:
            period = replace(
                period.between(cutoff, period.days[-1]),
                cancelled_invoices=period.cancelled_invoices,
                cancelled_total=period.cancelled_total,
            )
    if not history.days or not period.days:
        raise SystemExit(f"no history before {args.data} or no sales in it")
    result = report.evaluate(model, history, period, period.days[0], period.days[-1])
    result["data"] = {
        "first_day": period.days[0].isoformat(),
        "last_day": period.days[-1].isoformat(),
        "trading_days": len(period.days),
        "cancelled_invoices_dropped": period.cancelled_invoices,
        "cancelled_total_dropped": period.cancelled_total,
        "history_last_day": history.days[-1].isoformat(),
    }
    result["model_version"] = model.version
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "evaluation.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "plot.svg").write_text(
        report.plot(
            model, history, period, f"45-day forecast from {period.days[0]} ({model.version})"
        )
    )
    print(
        f"DATA {args.data}: {period.days[0]}..{period.days[-1]}, {len(period.days)} trading days; "
        f"{period.cancelled_invoices} cancelled/non-positive invoices dropped "
        f"(total {period.cancelled_total:.2f}); history {history.days[0]}..{history.days[-1]}"
    )
    print(f"model forecast/{model.version}")
    print(report.table(result))
    print(f"\n45-day 80% interval coverage: {result['45_day_interval_coverage']:.2f}")
    print(f"wrote {args.out}/evaluation.json and plot.svg")


if __name__ == "__main__":
    main()
