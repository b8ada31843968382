"""SQS (from S3 notifications) → ``media.uploaded`` on the bus, once per object version."""

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
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.media import service
from chalicelib.media.schemas import S3NotificationRecord, S3TestEvent

get_settings()
processor = BatchProcessor(event_type=EventType.SQS, model=S3NotificationRecord)


def announce_record(record: S3NotificationRecord) -> int:
    if isinstance(record.body, S3TestEvent):  # S3 sends one when notifications are set up
        return 0
    uploads = record.body.uploads()
    metrics.add_metric(name="MediaUploads", unit="Count", value=len(uploads))
    for upload in uploads:
        service.announce_upload(upload=upload)
    return len(uploads)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=announce_record, processor=processor, context=context
    )
