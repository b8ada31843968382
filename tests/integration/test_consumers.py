"""Functions on moto: the archive consumer, the upload announcer, the cleanup job."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import boto3
import pytest

from localcloud.deploy import Deployment
from localcloud.lambdas import LambdaRuntime
from tests.fixtures.aws import load_event


@pytest.fixture
def runtime(aws_env: Deployment) -> LambdaRuntime:
    runtime = LambdaRuntime("us-east-1")
    for spec in aws_env.functions.values():
        runtime.register(spec)
    return runtime


def sqs_event_with(bodies: list[Any]) -> dict[str, Any]:
    template = load_event("event_archive_sqs.json")["Records"][0]
    records = []
    for body in bodies:
        record = copy.deepcopy(template)
        record["messageId"] = str(uuid.uuid4())
        record["body"] = body if isinstance(body, str) else json.dumps(body)
        records.append(record)
    return {"Records": records}


def bus_event(**data_changes: Any) -> dict[str, Any]:
    event = load_event("bus/media.uploaded.json")
    event["detail"]["metadata"]["event_id"] = str(uuid.uuid4())
    event["detail"]["data"].update(data_changes)
    return event


def archived_ids(aws_env: Deployment) -> set[str]:
    items = boto3.client("dynamodb").scan(TableName=aws_env.physical["EventArchiveTable"])["Items"]
    return {item["event_id"]["S"] for item in items}


def test_archive_stores_each_event_once_even_when_delivered_twice(
    runtime: LambdaRuntime, aws_env: Deployment
) -> None:
    first, second = bus_event(), bus_event(key="uploads/b.png")
    event = sqs_event_with([first, second])
    assert runtime.invoke("bazaar-test-event-archive", event).payload == {"batchItemFailures": []}
    assert runtime.invoke("bazaar-test-event-archive", event).payload == {"batchItemFailures": []}
    assert archived_ids(aws_env) == {
        first["detail"]["metadata"]["event_id"],
        second["detail"]["metadata"]["event_id"],
    }


def test_archive_reports_only_the_bad_records_of_a_batch(
    runtime: LambdaRuntime, aws_env: Deployment
) -> None:
    good = bus_event()
    breaks_schema = bus_event(size=-5)
    event = sqs_event_with([good, "not json at all", breaks_schema])
    result = runtime.invoke("bazaar-test-event-archive", event)
    failed = {item["itemIdentifier"] for item in result.payload["batchItemFailures"]}
    assert failed == {event["Records"][1]["messageId"], event["Records"][2]["messageId"]}
    assert archived_ids(aws_env) == {good["detail"]["metadata"]["event_id"]}


def test_unknown_event_types_are_archived_without_schema_check(
    runtime: LambdaRuntime, aws_env: Deployment
) -> None:
    other = bus_event()
    other["detail-type"] = "future.thing_happened"
    other["detail"]["data"] = {"anything": True}
    assert runtime.invoke("bazaar-test-event-archive", sqs_event_with([other])).payload == {
        "batchItemFailures": []
    }
    item = boto3.client("dynamodb").get_item(
        TableName=aws_env.physical["EventArchiveTable"],
        Key={"event_id": {"S": other["detail"]["metadata"]["event_id"]}},
    )["Item"]
    assert item["schema_known"] == {"BOOL": False}


def test_upload_is_announced_once_per_object_version(
    runtime: LambdaRuntime, aws_env: Deployment
) -> None:
    bucket = aws_env.physical["MediaBucket"]
    key = "uploads/products/p-1/photo 1.png"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"12345678", ContentType="image/png")
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=aws_env.physical["EventArchiveQueue"])
    event = load_event("media_uploaded_sqs.json")
    s3_body = json.loads(event["Records"][0]["body"])
    s3_body["Records"][0]["s3"]["bucket"]["name"] = bucket
    s3_body["Records"][0]["s3"]["object"]["key"] = (
        "uploads/products/p-1/photo+1.png"  # S3 quote_plus-encodes keys
    )
    event["Records"][0]["body"] = json.dumps(s3_body)
    test_event = {
        "Records": [
            {**event["Records"][0], "messageId": "t", "body": json.dumps({"Event": "s3:TestEvent"})}
        ]
    }

    assert runtime.invoke("bazaar-test-media-uploaded", test_event).payload == {
        "batchItemFailures": []
    }
    for _ in range(2):  # S3 notifications are at-least-once
        assert runtime.invoke("bazaar-test-media-uploaded", event).payload == {
            "batchItemFailures": []
        }

    messages = sqs.receive_message(
        QueueUrl=aws_env.physical["EventArchiveQueue"], MaxNumberOfMessages=10
    )["Messages"]
    assert len(messages) == 1
    data = json.loads(messages[0]["Body"])["detail"]["data"]
    assert data == {
        "bucket": bucket,
        "key": key,
        "size": 8,
        "etag": data["etag"],
        "content_type": "image/png",
    }


def test_cleanup_job_removes_expired_connection_records(
    runtime: LambdaRuntime, aws_env: Deployment
) -> None:
    table = aws_env.physical["ConnectionsTable"]
    boto3.client("dynamodb").put_item(
        TableName=table,
        Item={
            "connection_id": {"S": "OLDconnAAAA="},
            "connected_at": {"S": "2026-01-01T00:00:00.000000+0000"},
            "expires_at": {"N": "1767225600"},
        },
    )
    result = runtime.invoke(
        "bazaar-test-connections-cleanup", load_event("connections_cleanup_scheduled.json")
    )
    assert result.payload == {"checked": 1, "removed": 1}
