"""SQS (``media.uploaded`` for ``uploads/products/``) → Pillow checks, renditions, attach."""

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

from chalicelib.catalog.service import images
from chalicelib.core.events import parse_detail
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.media.events import MediaUploaded

get_settings()
processor = BatchProcessor(event_type=EventType.SQS)


def process_record(record: SQSRecord) -> dict[str, Any]:
    body = json.loads(record.body)
    _, event = parse_detail(body["detail-type"], body["detail"])
    assert isinstance(event, MediaUploaded)
    result = images.process_upload(event.bucket, event.key, event.size)
    metrics.add_metric(name=f"ProductImages{result['status'].title()}", unit="Count", value=1)
    return result


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
