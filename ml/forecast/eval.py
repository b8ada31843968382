"""``make eval-forecast DATA=<dir>``: the shipped model (models/forecast/v2) and the two
baselines on ``<dir>/online_retail_invoice_totals.csv``, a period continuing the dev
series. Reads only DATA, the shared dev data and the shipped model; never trains: the
model's weights are fixed, only its level state follows the actuals before each origin.
Prints the table; writes ``<out>/evaluation.json`` and ``<out>/plot.svg``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from chalicelib.forecasting.model import ForecastModel
from ml.forecast import report
from ml.forecast.data import dev_dir, read_totals

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "forecast" / "v2")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "forecast-eval")
    args = parser.parse_args()
    model = ForecastModel.load(args.model)
    history = read_totals(dev_dir())
    period = read_totals(args.data)
    if period.days and history.days and period.days[0] <= history.days[-1]:
        # DATA overlapping the dev series (e.g. DATA = the dev directory itself): the
        # history is what lies before DATA's first day.
        history = history.before(period.days[0])
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
