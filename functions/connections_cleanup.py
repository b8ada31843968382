"""Scheduled: remove connection records that expired or that API Gateway no longer holds."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.realtime import service

get_settings()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    result = service.remove_stale_connections()
    metrics.add_metric(name="StaleConnectionsRemoved", unit="Count", value=result["removed"])
    return result
