"""SQS (from the bus: product, shop and ban events) → search postings. Partial failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.catalog.service import indexer
from chalicelib.core.events import BusRecord
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings

get_settings()
processor = BatchProcessor(event_type=EventType.SQS, model=BusRecord)


def index_record(record: BusRecord) -> dict[str, Any]:
    result = indexer.handle(record.body.detail_type, record.body.detail.data)
    metrics.add_metric(name="CatalogIndexEvents", unit="Count", value=1)
    return result


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=index_record, processor=processor, context=context
    )
