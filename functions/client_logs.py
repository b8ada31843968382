"""SQS (batches ``POST /logs`` queued) → stored with retention (TTL), streamed live to the
admins who subscribed. Partial batch failures; a redelivered batch is stored again under
the same keys (no duplicates) and not streamed twice."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.logs import service
from chalicelib.logs.schemas import QueuedBatch

get_settings()


class LogBatchRecord(SqsRecordModel):
    body: Json[QueuedBatch]


processor = BatchProcessor(event_type=EventType.SQS, model=LogBatchRecord)


def store_record(record: LogBatchRecord) -> dict[str, int]:
    result = service.store_and_stream(record.body)
    metrics.add_metric(name="ClientLogEntries", unit="Count", value=result["stored"])
    return result


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=store_record, processor=processor, context=context
    )
