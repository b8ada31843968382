"""infra/template.yaml deploys into moto with all its wiring (what the local cloud runs)."""

from __future__ import annotations

import json

import boto3

from localcloud.deploy import Deployment


def test_every_declared_resource_exists_with_its_wiring(aws_env: Deployment) -> None:
    physical = aws_env.physical
    dynamodb = boto3.client("dynamodb")
    connections = dynamodb.describe_table(TableName=physical["ConnectionsTable"])["Table"]
    assert [index["IndexName"] for index in connections["GlobalSecondaryIndexes"]] == ["by-user"]
    ttl = dynamodb.describe_time_to_live(TableName=physical["ConnectionsTable"])
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"

    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=physical["EventArchiveQueue"], AttributeNames=["All"]
    )["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 3
    assert redrive["deadLetterTargetArn"].endswith("event-archive-dlq")

    events = boto3.client("events")
    targets = events.list_targets_by_rule(
        Rule=physical["EventArchiveRule"], EventBusName=physical["EventBus"]
    )
    assert targets["Targets"][0]["Arn"].endswith(":bazaar-test-event-archive")

    notification = boto3.client("s3").get_bucket_notification_configuration(
        Bucket=physical["MediaBucket"]
    )
    assert notification["QueueConfigurations"][0]["QueueArn"].endswith(":bazaar-test-media-uploads")

    machines = boto3.client("stepfunctions").list_state_machines()["stateMachines"]
    assert "bazaar-test-selftest" in [m["name"] for m in machines]

    alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert {a["AlarmName"] for a in alarms} >= {
        "bazaar-test-event-archive-dlq-not-empty",
        "bazaar-test-media-uploads-dlq-not-empty",
    }


def test_functions_event_sources_and_schedules_become_the_local_runtime(
    aws_env: Deployment,
) -> None:
    assert {spec.handler for spec in aws_env.functions.values()} >= {
        "functions.event_archive.handler",
        "functions.media_uploaded.handler",
        "functions.connections_cleanup.handler",
        "functions.selftest_saga.handler",
    }
    sources = {source.function: source for source in aws_env.queue_sources}
    assert sources["bazaar-test-event-archive"].report_batch_item_failures
    assert sources["bazaar-test-event-archive"].batch_size == 10
    assert ("bazaar-test-connections-cleanup", "rate(15 minutes)") in [
        (s.name, s.expression) for s in aws_env.schedules
    ]
    env = aws_env.functions["bazaar-test-event-archive"].environment
    assert env["BAZAAR_EVENT_ARCHIVE_TABLE"] == "bazaar-test-event-archive"
    assert env["BAZAAR_EVENT_BUS_NAME"] == "bazaar"
