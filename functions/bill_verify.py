"""SQS (S3 notifications for ``bills/``, or an admin's retry) → verify the bill's post.

One record at a time (each bill runs OCR and the model for seconds). A record whose
verification raised is reported failed, so SQS delivers it again (the post is FAILED
meanwhile, visible to admins); after the last try it stays in the DLQ.
"""

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

from chalicelib.bills.service import verification
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.media.schemas import S3Notifications

get_settings()
processor = BatchProcessor(event_type=EventType.SQS)


def verify_record(record: SQSRecord) -> list[dict[str, Any]]:
    body = json.loads(record.body)
    if isinstance(body, dict) and "retry_post" in body:
        results = [verification.verify_post(str(body["retry_post"]))]
    elif isinstance(body, dict) and body.get("Event") == "s3:TestEvent":
        return []
    else:
        uploads = S3Notifications.model_validate(body).uploads()
        results = [verification.verify_upload(upload.key) for upload in uploads]
    for result in results:
        metrics.add_metric(name=f"Bills{str(result['status']).title()}", unit="Count", value=1)
    return results


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=verify_record, processor=processor, context=context
    )
