"""Recommendations training (infra/statemachines/recs_training.asl.json): ``start`` runs on
its schedule and starts the workflow; ``handler`` runs each of its steps."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core import aws, clock
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.recommendations.service import workflow

get_settings()


def new_run_id() -> str:
    """A sortable, unique run id (it becomes the published version)."""
    return f"r{clock.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def start(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start one training run; its id and execution ARN."""
    arn = get_settings().recs_training_state_machine_arn
    if not arn:
        raise ValueError("BAZAAR_RECS_TRAINING_STATE_MACHINE_ARN is not configured")
    run_id = new_run_id()
    started = aws.client("stepfunctions").start_execution(
        stateMachineArn=arn,
        name=run_id,
        input=json.dumps({"run_id": run_id, "params": params or {}}),
    )
    logger.info("Recommendations training started", extra={"run_id": run_id})
    return {"run_id": run_id, "execution_arn": started["executionArn"]}


def run_task(event: dict[str, Any]) -> dict[str, Any]:
    """One step of the workflow (``task``: extract, train, evaluate, publish)."""
    task, run_id = event["task"], str(event["run_id"])
    if task == "extract":
        return workflow.extract(run_id)
    if task == "train":
        return workflow.train(run_id, event.get("params") or {})
    if task == "evaluate":
        result = workflow.evaluate(run_id)
        metrics.add_metric(
            name="RecsModelsPublished" if result["publish"] else "RecsModelsRejected",
            unit="Count",
            value=1,
        )
        return result
    if task == "publish":
        return workflow.publish(run_id)
    raise ValueError(f"unknown recommendations task {task!r}")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def start_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return start(event.get("params"))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_task(event)
