"""The session's shared moto deployment (tests/fixtures/aws.py): each test starts clean.

These drive ``SharedCloud`` directly (one ``begin``/``end`` per simulated test) so that
what one "test" leaves behind is checked by the next, whatever order pytest runs them in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud import ses
from localcloud.deploy import Deployment
from tests.fixtures.aws import SharedCloud

SENDER = "no-reply@bazaar.example.com"


@contextmanager
def one_test(cloud: SharedCloud, *, fresh: bool = False) -> Iterator[Deployment]:
    deployment = cloud.begin(fresh=fresh)
    try:
        yield deployment
    finally:
        cloud.end("simulated test", fresh=fresh)


def _value(kind: str, text: str) -> dict[str, Any]:
    return {"S": text} if kind == "S" else {"N": "1"} if kind == "N" else {"B": text.encode()}


def _fill_every_table(dynamodb: Any) -> dict[str, tuple[str, str, str]]:
    """One item per table, with every index's keys; returns a query per table with an index."""
    queries: dict[str, tuple[str, str, str]] = {}
    for table in dynamodb.list_tables()["TableNames"]:
        described = dynamodb.describe_table(TableName=table)["Table"]
        kinds = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
        item = {name: _value(kind, "probe") for name, kind in kinds.items()}
        dynamodb.put_item(TableName=table, Item=item)
        for index in described.get("GlobalSecondaryIndexes", []):
            key = next(k["AttributeName"] for k in index["KeySchema"] if k["KeyType"] == "HASH")
            queries[table] = (index["IndexName"], key, kinds[key])
    return queries


def _query(dynamodb: Any, table: str, index: str, key: str, kind: str) -> list[Any]:
    items: list[Any] = dynamodb.query(
        TableName=table,
        IndexName=index,
        KeyConditionExpression="#k = :v",
        ExpressionAttributeNames={"#k": key},
        ExpressionAttributeValues={":v": _value(kind, "probe")},
    )["Items"]
    return items


def test_a_test_starts_with_what_the_previous_one_left_emptied(shared_moto: SharedCloud) -> None:
    with one_test(shared_moto) as deployment:
        deploys = shared_moto.deploys
        dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
        queries = _fill_every_table(dynamodb)
        assert queries  # tables with indexes: their partition maps are built next
        for table, (index, key, kind) in queries.items():
            assert len(_query(dynamodb, table, index, key, kind)) == 1
        bucket = deployment.physical["MediaBucket"]
        boto3.client("s3").put_object(Bucket=bucket, Key="uploads/probe.png", Body=b"x")
        queues = sqs.list_queues()["QueueUrls"]
        for url in queues:
            sqs.send_message(QueueUrl=url, MessageBody="{}")
        assert sqs.receive_message(QueueUrl=queues[0])["Messages"]  # one in flight
        boto3.client("ses").send_email(
            Source=SENDER,
            Destination={"ToAddresses": ["probe@shop.example.com"]},
            Message={"Subject": {"Data": "Probe"}, "Body": {"Text": {"Data": "123456"}}},
        )
        machine = deployment.state_machines["SelfTestStateMachine"]
        boto3.client("stepfunctions").start_execution(stateMachineArn=machine, name="probe")

    with one_test(shared_moto) as deployment:
        assert shared_moto.deploys == deploys  # reset, not redeployed
        for table in dynamodb.list_tables()["TableNames"]:
            assert dynamodb.scan(TableName=table)["Items"] == [], table
        for table, (index, key, kind) in queries.items():
            assert _query(dynamodb, table, index, key, kind) == [], table
        listed = boto3.client("s3").list_objects_v2(Bucket=bucket)
        assert listed.get("Contents", []) == []
        for url in queues:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
            counts = {k: v for k, v in attributes["Attributes"].items() if "NumberOf" in k}
            assert set(counts.values()) == {"0"}, (url, counts)
            sqs.purge_queue(QueueUrl=url)  # allowed at once, as on a new queue
        assert ses.sent_messages() == {"RawMessage": [], "Message": []}
        executions = boto3.client("stepfunctions").list_executions(stateMachineArn=machine)
        assert executions["executions"] == []


def test_a_changed_infrastructure_is_redeployed_for_the_next_test(
    shared_moto: SharedCloud,
) -> None:
    deployment = shared_moto.begin(fresh=False)
    deploys = shared_moto.deploys
    boto3.client("sqs").create_queue(QueueName="left-behind")
    with pytest.warns(UserWarning, match="changed the shared moto deployment"):
        shared_moto.end("simulated test", fresh=False)

    with one_test(shared_moto):
        assert shared_moto.deploys == deploys + 1
        assert "left-behind" not in str(boto3.client("sqs").list_queues().get("QueueUrls"))
        table = deployment.physical["EventArchiveTable"]
        assert boto3.client("dynamodb").describe_table(TableName=table)


def test_a_fresh_deployment_is_new_and_thrown_away(shared_moto: SharedCloud) -> None:
    with one_test(shared_moto):
        deploys = shared_moto.deploys
    with one_test(shared_moto, fresh=True):
        assert shared_moto.deploys == deploys + 1
    with one_test(shared_moto):
        assert shared_moto.deploys == deploys + 2


def test_another_mock_aws_in_between_gets_an_empty_moto(shared_moto: SharedCloud) -> None:
    with one_test(shared_moto):
        deploys = shared_moto.deploys
    with mock_aws():
        assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []
    with one_test(shared_moto):
        assert shared_moto.deploys == deploys + 1
        assert boto3.client("dynamodb").list_tables()["TableNames"]
