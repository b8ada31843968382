"""SQS (order, payment, stock, account, fulfilment and chat events from the bus) →
notifications for the right receivers, stored, pushed to their open connections and
emailed where they want it.

Idempotent per receiver: each notification is written with a receipt keyed on its natural
key (``order.paid:<order>``, ``chat:<message>``, or the event id) in one transaction, so
a redelivered or re-published event, or a batch retried after a partial failure, makes
no second notification, push or email. Partial batch failures: a bad record goes back
(and to the DLQ after three receives) without holding up the others.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core.events import BusRecord
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.notifications.service import deliver
from chalicelib.notifications.service.rules import Incoming

get_settings()
processor = BatchProcessor(event_type=EventType.SQS, model=BusRecord)


def notify_record(record: BusRecord) -> dict[str, object]:
    event = record.body
    result = deliver.handle(
        Incoming(
            event_id=event.event_id,
            detail_type=event.detail_type,
            source=event.source,
            data=event.detail.data,
        )
    )
    delivered = int(str(result.get(deliver.Outcome.DELIVERED, 0)))
    metrics.add_metric(name="NotificationsDelivered", unit="Count", value=delivered)
    return result


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=notify_record, processor=processor, context=context
    )
