"""SQS (``media.uploaded`` for ``uploads/products/`` and ``uploads/assets/``) → Pillow
checks, renditions, attach (product images) or accept (shop logos, site logo and banner)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.catalog.service import assets, images
from chalicelib.core.events import BusRecord
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.media.events import MediaUploaded

get_settings()
processor = BatchProcessor(event_type=EventType.SQS, model=BusRecord)


def process_record(record: BusRecord) -> dict[str, Any]:
    event = record.body.event()
    if not isinstance(event, MediaUploaded):
        raise TypeError(f"product-images takes media.uploaded, not {record.body.detail_type}")
    if event.key.startswith(assets.UPLOAD_PREFIX):
        result = assets.process_upload(event.bucket, event.key, event.size)
    else:
        result = images.process_upload(event.bucket, event.key, event.size)
    metrics.add_metric(name=f"ProductImages{result['status'].title()}", unit="Count", value=1)
    return result


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
