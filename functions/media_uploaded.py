"""SQS (from S3 notifications) → ``media.uploaded`` on the bus, once per object version."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

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
from chalicelib.media import service

get_settings()
processor = BatchProcessor(event_type=EventType.SQS)


def announce_record(record: SQSRecord) -> int:
    body = json.loads(record.body)
    if body.get("Event") == "s3:TestEvent":  # S3 sends one when notifications are set up
        return 0
    metrics.add_metric(name="MediaUploads", unit="Count", value=len(body["Records"]))
    for s3_record in body["Records"]:
        obj = s3_record["s3"]["object"]
        service.announce_upload(
            upload={
                "bucket": s3_record["s3"]["bucket"]["name"],
                "key": unquote_plus(obj["key"]),
                "sequencer": obj.get("sequencer") or obj.get("eTag", ""),
            }
        )
    return len(body["Records"])


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=announce_record, processor=processor, context=context
    )
