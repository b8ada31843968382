"""SQS (client batches from ``POST /analytics/events``; ``order.paid``, ``cart.abandoned``
and ``payment.failed`` from the bus) → the raw event lake, the aggregates, business
metrics.

Powertools' ``BatchProcessor`` parses each record (a bad one fails alone); the parsed
batches are then counted together (``aggregate.record``: one update per counter item
for the whole SQS batch, a marker per batch so a redelivery counts nothing twice), and
the batches that could not be stored are reported as the batch's item failures.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.analytics.domain import FactBatch, FactKind
from chalicelib.analytics.service import aggregate, facts
from chalicelib.core import clock
from chalicelib.core.events import BusEvent
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings

get_settings()
# Every record may fail parsing without the whole batch failing: the parsed ones are counted.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def parse_record(record: SQSRecord) -> FactBatch:
    """The record's batch: a bus event (keyed by its event id) or a collected batch."""
    body = json.loads(record.body)
    if "detail-type" in body:
        event = BusEvent.model_validate(body)
        return facts.from_bus(
            event.event_id, clock.parse(event.detail.metadata.occurred_at), event.event()
        )
    return facts.batch_from_message(body)


def business_metrics(batches: list[FactBatch]) -> None:
    """Orders, revenue, payment failures and abandoned carts of newly counted batches."""
    for batch in batches:
        for fact in batch.facts:
            if fact.kind is FactKind.ORDER_PAID:
                metrics.add_metric(name="OrdersPaid", unit="Count", value=1)
                metrics.add_metric(name="RevenueMinorUnits", unit="Count", value=fact.amount)
            elif fact.kind is FactKind.PAYMENT_FAILED:
                metrics.add_metric(name="PaymentsFailed", unit="Count", value=1)
            elif fact.kind is FactKind.CART_ABANDONED and fact.shop_id is None:
                metrics.add_metric(name="AbandonedCartsCounted", unit="Count", value=1)
                metrics.add_metric(name="AbandonedValueMinorUnits", unit="Count", value=fact.amount)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    parsed: dict[str, FactBatch] = {}

    def keep(record: SQSRecord) -> str:
        parsed[record.message_id] = parse_record(record)
        return parsed[record.message_id].batch_id

    records = event.get("Records", [])
    with processor(records=records, handler=keep):
        processor.process()
    failures = list(processor.response()["batchItemFailures"])
    batches = list(parsed.values())
    recorded = aggregate.record(batches)
    by_id = {batch.batch_id: batch for batch in batches}
    business_metrics([by_id[batch_id] for batch_id in recorded.applied])
    failures += [
        {"itemIdentifier": message_id}
        for message_id, batch in parsed.items()
        if batch.batch_id in recorded.failed
    ]
    if recorded.duplicates:
        logger.info("Batches counted before", extra={"batches": recorded.duplicates})
    return {"batchItemFailures": failures}
