"""Steps of the forecast retraining workflow (infra/statemachines/forecast_retrain.asl.json)
and its scheduled start.

1. ``extract``: the daily sales of a scope (the platform by default) from the analytics
   counters (fed by paid orders), the last 366 days up to yesterday, to the models bucket
   (``forecast-runs/<run>/sales.json``).
2. ``train``: the served model's configuration (optionally with ``overrides`` of its
   tunable hyperparameters) fitted twice: on the history before the recent slice (the
   last ``SLICE_DAYS`` days; to be judged) and on all of it (to be published), with its
   ONNX graph and the interval quantiles of the slice's errors.
3. ``evaluate``: the candidate (fitted before the slice) and the served model, by the
   rolling-origin protocol (horizons 1-7 trading days) on the slice: publish only if the
   candidate's WAPE is not worse; also checks the candidate's ONNX scores equal numpy's.
4. ``publish``: the candidate as ``forecast/<version>``, then named current (served
   from then on, without a restart: the API re-reads the pointer every few seconds).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.analytics.service import dashboards
from chalicelib.core import aws, clock, model_store
from chalicelib.core.observability import logger, tracer
from chalicelib.core.settings import get_settings
from chalicelib.forecasting import training
from chalicelib.forecasting.model import Config, Floats, ForecastModel
from chalicelib.forecasting.service import model as served

get_settings()

RUNS = "forecast-runs"
CANDIDATES = "forecast-candidates"
SLICE_DAYS = 28
HISTORY_DAYS = 366
MIN_TRADING_DAYS = 56


def _key(run_id: str, name: str) -> str:
    return f"{RUNS}/{run_id}/{name}"


def _series(run_id: str) -> tuple[list[date], Floats]:
    body = aws.client("s3").get_object(
        Bucket=get_settings().models_bucket, Key=_key(run_id, "sales.json")
    )["Body"]
    rows = json.loads(body.read())["days"]
    return [date.fromisoformat(d) for d, _ in rows], np.asarray([v for _, v in rows], dtype=float)


def extract(run_id: str, scope: str | None = None) -> dict[str, Any]:
    scope = scope or dashboards.platform_scope()
    end = clock.now().date() - timedelta(days=1)
    rows = dashboards.sales_by_day(scope, end - timedelta(days=HISTORY_DAYS - 1), end)
    days = [[day.isoformat(), revenue] for day, revenue, _ in rows if revenue > 0]
    aws.client("s3").put_object(
        Bucket=get_settings().models_bucket,
        Key=_key(run_id, "sales.json"),
        Body=json.dumps({"scope": scope, "days": days}).encode(),
        ContentType="application/json",
    )
    return {"scope": scope, "trading_days": len(days), "enough": len(days) >= MIN_TRADING_DAYS}


def _config(base: Config, overrides: dict[str, Any] | None) -> Config:
    changes = dict(overrides or {})
    unknown = set(changes) - set(training.TUNABLE)
    if unknown:
        raise ValueError(
            f"only {', '.join(training.TUNABLE)} may be overridden, not {sorted(unknown)}"
        )
    return replace(base, **changes)


def train(run_id: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    days, values = _series(run_id)
    current_dir = served.directory()
    current = ForecastModel.load(current_dir)
    config = _config(current.config, overrides)
    slice_start = days[-1] - timedelta(days=SLICE_DAYS - 1)
    before = sum(1 for d in days if d < slice_start)
    judged = training.fit(
        days[:before], values[:before], config, current.quantiles, epoch=current.epoch
    )
    forecasts, actuals, horizons = training.rolling(judged, days, values, slice_start)
    q = training.quantiles(
        training.log_errors(forecasts, actuals, horizons), fallback=current.quantiles
    )
    version = f"r{clock.now():%Y%m%d%H%M%S}-{run_id[:8]}"
    final = training.fit(days, values, config, q, version, epoch=current.epoch)
    judged = replace(judged, quantiles=q, version=version)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "model.json").write_text(json.dumps(final.to_json(), indent=1) + "\n")
        (out / "judged.json").write_text(json.dumps(judged.to_json(), indent=1) + "\n")
        template = (current_dir / "model.onnx").read_bytes()
        (out / "model.onnx").write_bytes(training.reparameterised_onnx(template, current, final))
        training.write_manifest(
            out,
            {
                "name": "forecast",
                "version": version,
                "trained_at": clock.iso(clock.now()),
                "run_id": run_id,
                "config": config.as_dict(),
                "data": {
                    "first_day": days[0].isoformat(),
                    "last_day": days[-1].isoformat(),
                    "trading_days": len(days),
                },
                "parent": current.version,
            },
        )
        model_store.publish_model(out, CANDIDATES, run_id)
    return {"version": version, "slice_start": slice_start.isoformat()}


def evaluate(run_id: str) -> dict[str, Any]:
    days, values = _series(run_id)
    candidate_dir = model_store.load_model(CANDIDATES, run_id)
    judged = ForecastModel.from_json(json.loads((candidate_dir / "judged.json").read_text()))
    final = ForecastModel.load(candidate_dir)
    current = ForecastModel.load(served.directory())  # never a container's cached copy
    slice_start = days[-1] - timedelta(days=SLICE_DAYS - 1)
    f_new, actual, _ = training.rolling(judged, days, values, slice_start)
    f_old, _, _ = training.rolling(current, days, values, slice_start)
    candidate_wape, served_wape = training.wape(f_new, actual), training.wape(f_old, actual)
    difference = training.onnx_difference(candidate_dir / "model.onnx", final, days, values)
    report = {
        "protocol": f"rolling origin, horizons 1-7 trading days, origins {slice_start}..{days[-1]}",
        "candidate": {"version": final.version, "wape": candidate_wape},
        "served": {"version": current.version, "wape": served_wape},
        "onnx_max_relative_difference": difference,
        "publish": bool(candidate_wape <= served_wape and difference < 1e-9),
    }
    aws.client("s3").put_object(
        Bucket=get_settings().models_bucket,
        Key=_key(run_id, "evaluation.json"),
        Body=json.dumps(report, indent=1).encode(),
    )
    logger.info("Forecast candidate evaluated", extra=report)
    return report


def publish(run_id: str) -> dict[str, Any]:
    candidate_dir = model_store.load_model(CANDIDATES, run_id)
    report = (
        aws.client("s3")
        .get_object(Bucket=get_settings().models_bucket, Key=_key(run_id, "evaluation.json"))[
            "Body"
        ]
        .read()
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        shutil.copytree(
            candidate_dir, out, ignore=shutil.ignore_patterns(".complete", "judged.json")
        )
        (out / "evaluation.json").write_bytes(report)
        manifest = json.loads((out / "manifest.json").read_text())
        meta = {k: v for k, v in manifest.items() if k != "files"}
        training.write_manifest(out, meta)
        version = str(meta["version"])
        model_store.publish_model(out, served.NAME, version)
        model_store.set_current_version(served.NAME, version)
    logger.info("Forecast model published", extra={"version": version})
    return {"version": version}


def start(scope: str | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start one retraining run (the schedule's target)."""
    run_id = uuid.uuid4().hex
    payload = {
        "run_id": run_id,
        "scope": scope or dashboards.platform_scope(),
        "overrides": overrides or {},
    }
    started = aws.client("stepfunctions").start_execution(
        stateMachineArn=get_settings().forecast_retrain_state_machine_arn,
        name=f"forecast-{run_id}",
        input=json.dumps(payload),
    )
    return {"run_id": run_id, "execution_arn": started["executionArn"]}


TASKS = {"extract", "train", "evaluate", "publish", "start"}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = str(event.get("task", ""))
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    if task == "start":
        return start(event.get("scope"), event.get("overrides"))
    run_id = str(event["run_id"])
    if task == "extract":
        return extract(run_id, event.get("scope") or None)
    if task == "train":
        return train(run_id, event.get("overrides"))
    if task == "evaluate":
        return evaluate(run_id)
    return publish(run_id)
