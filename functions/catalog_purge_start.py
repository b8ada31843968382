"""Scheduled: start the product or shop purge workflow (EventBridge cannot target it locally)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core import aws, clock
from chalicelib.core.observability import logger, tracer
from chalicelib.core.settings import get_settings

get_settings()


def start(workflow: str, as_of: str | None = None) -> dict[str, Any]:
    """Start one execution of ``workflow`` ("products" or "shops"); returns its ARN."""
    settings = get_settings()
    arns = {
        "products": settings.product_purge_state_machine_arn,
        "shops": settings.shop_purge_state_machine_arn,
    }
    arn = arns.get(workflow)
    if not arn:
        raise ValueError(f"unknown or unconfigured purge workflow {workflow!r}")
    when = as_of or clock.iso(clock.now())
    started = aws.client("stepfunctions").start_execution(
        stateMachineArn=arn,
        name=f"{workflow}-{uuid.uuid4()}",
        input=json.dumps({"as_of": when, "progress": {"round": 0, "purged": 0}}),
    )
    logger.info("Purge workflow started", extra={"workflow": workflow, "as_of": when})
    return {"workflow": workflow, "execution_arn": started["executionArn"], "as_of": when}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return start(str(event.get("workflow", "")), event.get("as_of"))
