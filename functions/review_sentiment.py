"""SQS (review.created / review.updated from the bus) → the review's sentiment and problem
categories (onnxruntime; the model is loaded from the models bucket once per container).

A model failure fails the record: SQS delivers it again, and after three receives it goes
to the dead-letter queue (redrive it to the source queue once the model is back); the
review stays published with its score pending meanwhile. Idempotent by state: only the
current revision is scored, and a scored revision is skipped.
"""

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
from chalicelib.reviews.service import scoring

get_settings()
processor = BatchProcessor(event_type=EventType.SQS, model=BusRecord)


def score_record(record: BusRecord) -> dict[str, Any]:
    review_id = str(record.body.detail.data["review_id"])
    try:
        review = scoring.score(review_id)
    except Exception:
        metrics.add_metric(name="ReviewSentimentFailures", unit="Count", value=1)
        raise
    metrics.add_metric(name="ReviewsScored", unit="Count", value=1)
    if review is None or review.sentiment is None:
        return {"review_id": review_id, "scored": False}
    return {
        "review_id": review_id,
        "label": str(review.sentiment.label),
        "confidence": review.sentiment.confidence,
    }


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=score_record, processor=processor, context=context
    )
