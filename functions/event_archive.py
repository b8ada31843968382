"""SQS (from the bus) → event archive. Partial batch failures; poison records end in the DLQ."""

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
from chalicelib.event_types import load_all
from chalicelib.eventlog import service

get_settings()
load_all()
processor = BatchProcessor(event_type=EventType.SQS, model=BusRecord)


def archive_record(record: BusRecord) -> bool:
    stored = service.archive(record.body)
    metrics.add_metric(
        name="EventsArchived" if stored else "EventsDuplicate", unit="Count", value=1
    )
    return stored


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=archive_record, processor=processor, context=context
    )
