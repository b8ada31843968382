"""SQS (order.paid, order.cancelled from the bus) → the shopper's email, sent once per
order and outcome (Powertools idempotency: a redelivered or re-published event sends
nothing more)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core import idempotency
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.orders import notifications

get_settings()
processor = BatchProcessor(event_type=EventType.SQS)


@idempotency.once('["detail-type", detail.data.order_id]', data_keyword_argument="event")
def email_once(event: dict[str, Any]) -> dict[str, Any]:
    return notifications.email_for_event(event["detail-type"], event["detail"]["data"])


def email_record(record: SQSRecord) -> dict[str, Any]:
    return email_once(event=json.loads(record.body))


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=email_record, processor=processor, context=context
    )
