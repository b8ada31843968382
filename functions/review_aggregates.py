"""SQS (every review event from the bus) → the product's and shop's rating aggregates, and
the ratings the catalog shows. Idempotent by state: each record recounts the review as it
is now (``reviews.service.aggregates``), so a duplicate or late event moves nothing."""

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
from chalicelib.reviews.service import aggregates

get_settings()
processor = BatchProcessor(event_type=EventType.SQS, model=BusRecord)


def count_record(record: BusRecord) -> dict[str, Any]:
    review_id = str(record.body.detail.data["review_id"])
    result = aggregates.reconcile(review_id)
    metrics.add_metric(name="ReviewAggregateEvents", unit="Count", value=1)
    if result is None:
        return {"review_id": review_id, "found": False}
    product, shop = result
    return {
        "review_id": review_id,
        "product_count": product.count if product else None,
        "shop_count": shop.count,
    }


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=count_record, processor=processor, context=context
    )
