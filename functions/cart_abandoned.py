"""Scheduled: report carts untouched for the configured time (``cart.abandoned``)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.cart import service
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings

get_settings()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    result = service.report_abandoned()
    metrics.add_metric(name="CartsAbandoned", unit="Count", value=result["reported"])
    return result
