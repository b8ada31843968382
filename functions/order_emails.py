"""SQS (order.paid, order.shipped, order.delivered, order.cancelled, order.refunded,
return.decided from the bus) → the shopper's email,
sent once per order and outcome (Powertools idempotency: a redelivered or re-published event sends
nothing more)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core import idempotency
from chalicelib.core.events import BusEvent, BusRecord
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.orders import notifications

get_settings()
processor = BatchProcessor(event_type=EventType.SQS, model=BusRecord)


# Keyed on the event type and the order (and, for refunds and returns, which refund or
# return: an order may be refunded more than once), not the message or event id: a
# re-published event (new ids) sends nothing more. Missing parts drop out of the key, so
# for the other events it is the value it always was (``["detail-type", order id]``) and
# stored records still match.
EMAIL_KEY = (
    "[detail_type, detail.data.order_id, detail.data.refund_key, detail.data.return_id]"
    "[?@ != `null`]"
)


@idempotency.once(EMAIL_KEY, data_keyword_argument="event")
def email_once(event: BusEvent) -> dict[str, Any]:
    return notifications.email_for_event(event.detail_type, event.detail.data)


def email_record(record: BusRecord) -> dict[str, Any]:
    return email_once(event=record.body)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=email_record, processor=processor, context=context
    )
