"""Recommendations training (infra/statemachines/recs_training.asl.json): ``start`` runs on
its schedule and starts the workflow; ``handler`` runs each of its steps."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.recommendations.service import workflow

get_settings()


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
    return workflow.start(event.get("params"))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_task(event)
