"""Event schemas match the code; every handler has a sample event that it accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.core import events
from chalicelib.core.events import EVENT_TYPES, parse_detail, to_entry
from chalicelib.event_types import load_all
from localcloud.deploy import Deployment
from localcloud.lambdas import LambdaRuntime
from scripts.export_event_schemas import SCHEMAS, render_all
from tests.fixtures.aws import EVENTS, load_event

load_all()

# Sample events per deployed function (what `make invoke FN=... EVENT=...` uses).
SAMPLES = {
    "event-archive": "event_archive_sqs.json",
    "media-uploaded": "media_uploaded_sqs.json",
    "connections-cleanup": "connections_cleanup_scheduled.json",
    "selftest-step": "selftest_step.json",
    # Catalog (S2, S3)
    "catalog-indexer": "catalog_indexer_sqs.json",
    "product-images": "product_images_sqs.json",
    "catalog-purge-start": "catalog_purge_start_scheduled.json",
    "catalog-purge-task": "catalog_purge_task.json",
    "cart-abandoned": "cart_abandoned_scheduled.json",
    # Orders and payments (S4)
    "checkout-saga": "checkout_saga_step.json",
    "order-emails": "order_emails_sqs.json",
    # Notifications (S8) and client logs (S10)
    "notifications": "notifications_sqs.json",
    "notification-digest": "notification_digest_scheduled.json",
    "client-logs": "client_logs_sqs.json",
    # Analytics (S9)
    "analytics-events": "analytics_events_sqs.json",
    # Bill posts (S6): its post is not there, so the record is acknowledged, nothing done
    "bill-verify": "bill_verify_sqs.json",
    # Reviews (S5)
    "review-sentiment": "review_sentiment_sqs.json",
    "review-aggregates": "review_aggregates_sqs.json",
    # Sales forecasting (S9): a retraining run's first step (the schedule sends
    # {"task": "start"}; the system test runs every step)
    "forecast-retrain": "forecast_retrain_task.json",
    # Recommendations (S9): the schedule starts a run; a step (extract, on an empty lake)
    "recs-training-start": "recs_training_start_scheduled.json",
    "recs-training-task": "recs_training_task.json",
}


def test_schema_files_are_generated_from_the_models() -> None:
    expected = render_all()
    on_disk = {path.name: path.read_text() for path in SCHEMAS.glob("*.json")}
    assert on_disk == expected, "run: .venv/bin/python -m scripts.export_event_schemas"


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_each_event_type_has_a_bus_sample_that_validates(name: str) -> None:
    sample = json.loads((EVENTS / "bus" / f"{name}.json").read_text())
    assert sample["detail-type"] == name
    assert sample["source"] == EVENT_TYPES[name].source
    parse_detail(name, sample["detail"])


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_what_the_publisher_emits_matches_the_schema(name: str) -> None:
    sample = json.loads((EVENTS / "bus" / f"{name}.json").read_text())
    _, event = parse_detail(name, sample["detail"])
    entry = to_entry(event)
    assert entry["DetailType"] == name
    assert entry["Source"] == EVENT_TYPES[name].source
    parse_detail(name, json.loads(entry["Detail"]))


def test_every_deployed_function_has_a_sample_event(aws_env: Deployment) -> None:
    short_names = {name.removeprefix("bazaar-test-") for name in aws_env.functions}
    assert short_names == set(SAMPLES)
    for file_name in SAMPLES.values():
        assert (EVENTS / file_name).is_file()


def test_api_samples_exist_for_rest_and_websocket_handlers() -> None:
    for file_name in (
        "api_health.json",
        "ws_connect.json",
        "ws_message.json",
        "ws_disconnect.json",
    ):
        assert (EVENTS / file_name).is_file()


def test_every_sample_is_accepted_by_its_handler(aws_env: Deployment) -> None:
    runtime = LambdaRuntime("us-east-1")
    for spec in aws_env.functions.values():
        runtime.register(spec)
    for short, file_name in SAMPLES.items():
        result = runtime.invoke(f"bazaar-test-{short}", load_event(file_name))
        if (
            short == "media-uploaded"
        ):  # its object is not in this bucket: the batch fails, nothing lost
            assert result.error is not None
            assert result.error["errorType"] == "BatchProcessingError"
            continue
        assert not result.failed, (short, result.error)
        if isinstance(result.payload, dict) and "batchItemFailures" in result.payload:
            assert result.payload["batchItemFailures"] == []


def test_publish_puts_events_on_the_bus(aws_env: Deployment) -> None:
    from chalicelib.media.events import MediaUploaded

    ids = events.publish(MediaUploaded(bucket="b", key="k", size=1, etag="e"))
    assert len(ids) == 1


def test_events_folder_has_no_orphan_bus_samples() -> None:
    names = {path.stem for path in (Path(EVENTS) / "bus").glob("*.json")}
    assert names == set(EVENT_TYPES)
