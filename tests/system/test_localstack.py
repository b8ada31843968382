"""infra/template.yaml on LocalStack itself, deployed by the project's deployer.

`make localstack-test` (scripts/localstack.py) installs LocalStack 2026.3 in its own venv,
starts it without Docker on a loopback port and runs these with ``LOCALSTACK_ENDPOINT`` set.
Without that variable they skip; with it set and LocalStack not answering they fail.

LocalStack without Docker (or Pro) cannot serve DynamoDB (it downloads DynamoDB Local and
a JDK), Lambda (containers) or API Gateway v2 WebSockets, so the deployer runs in its
``LOCALSTACK_WITHOUT_DOCKER`` mode: those are not created (listed, with the reason, in the
output), and neither the API nor the checkout saga run here. What is proved: the queues
(with their DLQ redrive), the bus and its rules, the bucket and its notification, the
secret, the SES identity, the state machines, the alarms and topic are created on
LocalStack, with LocalStack's account id; an S3 upload reaches its queue; a Bazaar event put
on the bus reaches the queues its rules route it to.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.deploy import LOCALSTACK_WITHOUT_DOCKER, Deployment, deploy
from localcloud.template import load_template, to_cloudformation

ENDPOINT = os.environ.get("LOCALSTACK_ENDPOINT", "")
REGION = "us-east-1"
EVENTS = Path(__file__).resolve().parents[2] / "events" / "bus"
MOTO_ACCOUNT = "123456789012"

pytestmark = [
    pytest.mark.localstack,
    pytest.mark.skipif(
        not ENDPOINT,
        reason="LOCALSTACK_ENDPOINT is not set: run `make localstack-test` (starts LocalStack)",
    ),
]


def client(service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


class Stack:
    """One deployment of the template on LocalStack, and the template it came from."""

    def __init__(self, template: dict[str, Any], deployment: Deployment) -> None:
        self.template = template
        self.deployment = deployment
        self.resources: dict[str, Any] = template["Resources"]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: r.get("Properties", {}) for k, r in self.resources.items() if r["Type"] == kind}

    def physical(self, logical_id: str) -> str:
        return self.deployment.physical[logical_id]

    def queue_arn(self, logical_id: str) -> str:
        """The ARN LocalStack itself gives the queue."""
        attributes = client("sqs").get_queue_attributes(
            QueueUrl=self.physical(logical_id), AttributeNames=["QueueArn"]
        )["Attributes"]
        arn: str = attributes["QueueArn"]
        return arn


@pytest.fixture(scope="module")
def stack() -> Stack:
    """Given the template deployed on LocalStack by localcloud/deploy.py (once)."""
    with urllib.request.urlopen(f"{ENDPOINT}/_localstack/health", timeout=5) as answer:
        assert answer.status == 200, f"LocalStack at {ENDPOINT} is not healthy"
    name = f"bazaar-ls-{uuid.uuid4().hex[:8]}"
    template = to_cloudformation(load_template(), {"Stage": "test"}, REGION)
    deployment = deploy(
        template,
        stack_name=name,
        region=REGION,
        parameters={"Stage": "test"},
        endpoint_url=ENDPOINT,
        unsupported=LOCALSTACK_WITHOUT_DOCKER,
    )
    print(f"\nDeployed {name} on LocalStack {ENDPOINT} (account {deployment.account_id}).")
    print("Not created on LocalStack without Docker (so not tested here):")
    for logical_id, reason in sorted(deployment.skipped.items()):
        if reason in LOCALSTACK_WITHOUT_DOCKER.values():
            print(f"  - {logical_id}: {reason}")
    return Stack(template, deployment)


def receive(queue_url: str, matches: Any, *, attempts: int = 5) -> list[dict[str, Any]]:
    """Messages of a queue until one satisfies ``matches`` (bounded long polls)."""
    sqs = client("sqs")
    bodies: list[dict[str, Any]] = []
    for _ in range(attempts):
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=5)
        for message in got.get("Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        if any(matches(body) for body in bodies):
            return bodies
    return bodies


def test_the_account_id_is_localstacks_and_the_skipped_parts_are_named(stack: Stack) -> None:
    # Then the deployer used the account LocalStack's STS answered, not moto's
    account = client("sts").get_caller_identity()["Account"]
    assert stack.deployment.account_id == account != MOTO_ACCOUNT
    assert stack.queue_arn("EventArchiveQueue").split(":")[4] == account
    # And exactly what LocalStack cannot run offline was left out, each with its reason
    skipped = stack.deployment.skipped
    for kind in ("AWS::DynamoDB::Table", "AWS::Lambda::Function"):
        for logical_id in stack.of_type(kind):
            assert skipped[logical_id] == LOCALSTACK_WITHOUT_DOCKER[kind]
    assert skipped["WebsocketAPI"] == LOCALSTACK_WITHOUT_DOCKER["AWS::ApiGatewayV2::Api"]
    assert not stack.deployment.functions
    assert not stack.deployment.queue_sources
    assert not stack.deployment.schedules


def test_every_queue_exists_and_each_consumer_queue_redrives_to_its_dlq(stack: Stack) -> None:
    queues = stack.of_type("AWS::SQS::Queue")
    assert len(queues) >= 10
    sqs = client("sqs")
    redriven = 0
    for logical_id, props in queues.items():
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.physical(logical_id), AttributeNames=["All"]
        )["Attributes"]
        name = stack.physical(logical_id).rsplit("/", 1)[1]
        assert name.startswith(stack.deployment.stack_name + "-")
        assert attributes["QueueArn"].endswith(f":{stack.deployment.account_id}:{name}")
        if "VisibilityTimeout" in props:
            assert attributes["VisibilityTimeout"] == str(props["VisibilityTimeout"])
        if "RedrivePolicy" in props:
            policy = json.loads(attributes["RedrivePolicy"])
            dlq_id = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert policy["deadLetterTargetArn"] == stack.queue_arn(dlq_id)
            assert int(policy["maxReceiveCount"]) == int(props["RedrivePolicy"]["maxReceiveCount"])
            redriven += 1
    assert redriven == len(queues) // 2


def test_a_message_received_too_often_moves_to_the_dlq(stack: Stack) -> None:
    # Given a message on a consumer queue
    sqs = client("sqs")
    url = stack.physical("OrderEmailsQueue")
    props = stack.of_type("AWS::SQS::Queue")["OrderEmailsQueue"]
    max_receives = int(props["RedrivePolicy"]["maxReceiveCount"])
    marker = uuid.uuid4().hex
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"marker": marker}))
    # When it is received and not deleted maxReceiveCount times (visibility ended at once)
    for _ in range(max_receives):
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, VisibilityTimeout=0)
        assert [json.loads(m["Body"])["marker"] for m in got["Messages"]] == [marker]
    # Then the next receive moves it to the dead-letter queue
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")
    found = receive(stack.physical("OrderEmailsDLQ"), lambda body: body.get("marker") == marker)
    assert {"marker": marker} in found


def test_the_bus_and_its_rules_target_their_queues(stack: Stack) -> None:
    events = client("events")
    bus = stack.physical("EventBus")
    assert events.describe_event_bus(Name=bus)["Arn"].split(":")[4] == stack.deployment.account_id
    routed = {
        logical_id: props
        for logical_id, props in stack.of_type("AWS::Events::Rule").items()
        if "EventPattern" in props
    }
    assert len(routed) >= 4
    for logical_id, props in routed.items():
        rule = events.describe_rule(Name=stack.physical(logical_id), EventBusName=bus)
        assert json.loads(rule["EventPattern"]) == props["EventPattern"]
        targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
        queues = [target["Arn"]["Fn::GetAtt"][0] for target in props["Targets"]]
        assert [t["Arn"] for t in targets] == [stack.queue_arn(q) for q in queues]


def test_a_bazaar_event_put_on_the_bus_reaches_the_queues_its_rules_route_it_to(
    stack: Stack,
) -> None:
    # Given a real Bazaar event (the documented sample), valid against its schema
    from chalicelib.core.events import parse_detail

    sample = json.loads((EVENTS / "product.updated.json").read_text())
    detail = {**sample["detail"], "metadata": {**sample["detail"]["metadata"]}}
    detail["metadata"]["event_id"] = str(uuid.uuid4())
    parse_detail(sample["detail-type"], detail)
    # When it is put on the bus
    result = client("events").put_events(
        Entries=[
            {
                "Source": sample["source"],
                "DetailType": sample["detail-type"],
                "Detail": json.dumps(detail),
                "EventBusName": stack.physical("EventBus"),
            }
        ]
    )
    assert result["FailedEntryCount"] == 0
    # Then the catalog indexer's queue and the event archive's queue each get it
    for queue in ("CatalogIndexQueue", "EventArchiveQueue"):
        bodies = receive(stack.physical(queue), lambda body: body.get("detail") == detail)
        delivered = [body for body in bodies if body.get("detail") == detail]
        assert len(delivered) == 1, f"{queue} got {bodies}"
        assert delivered[0]["detail-type"] == "product.updated"
        assert delivered[0]["account"] == stack.deployment.account_id
        parse_detail(delivered[0]["detail-type"], delivered[0]["detail"])
    # And the rules that do not match it route it nowhere
    sqs = client("sqs")
    for queue in ("OrderEmailsQueue", "ProductImagesQueue"):
        got = sqs.receive_message(QueueUrl=stack.physical(queue), WaitTimeSeconds=1)
        assert not got.get("Messages"), queue


def test_the_bucket_notifies_its_queue_and_an_upload_arrives(stack: Stack) -> None:
    # Given the media bucket with its notification to the uploads queue
    s3 = client("s3")
    bucket = stack.physical("MediaBucket")
    assert bucket.endswith("-" + stack.deployment.account_id)
    config = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert [c["QueueArn"] for c in config] == [stack.queue_arn("MediaUploadsQueue")]
    assert config[0]["Events"] == ["s3:ObjectCreated:*"]
    # When an object is uploaded under uploads/ (and one outside it)
    key = f"uploads/products/{uuid.uuid4().hex}/photo.png"
    s3.put_object(Bucket=bucket, Key="elsewhere/x.png", Body=b"x")
    s3.put_object(Bucket=bucket, Key=key, Body=b"\x89PNG")

    # Then the uploads queue gets the S3 event for it (an s3:TestEvent may come first)
    def keys(body: dict[str, Any]) -> list[str]:
        return [r["s3"]["object"]["key"] for r in body.get("Records", [])]

    bodies = receive(stack.physical("MediaUploadsQueue"), lambda body: key in keys(body))
    assert [k for body in bodies for k in keys(body)] == [key]
    record = next(body for body in bodies if key in keys(body))["Records"][0]
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == bucket


def test_secret_mail_identity_state_machines_alarms_and_topic_exist(stack: Stack) -> None:
    for logical_id in stack.of_type("AWS::SecretsManager::Secret"):
        secret = client("secretsmanager").get_secret_value(SecretId=stack.physical(logical_id))
        assert len(secret["SecretString"]) >= 32
    sender = next(iter(stack.of_type("AWS::SES::EmailIdentity").values()))["EmailIdentity"]
    assert sender["Ref"] == "MailSender"
    identities = client("ses").list_identities()["Identities"]
    assert stack.physical("MailSenderIdentity") in identities
    machines = stack.of_type("AWS::StepFunctions::StateMachine")
    assert len(machines) >= 4
    sfn = client("stepfunctions")
    for logical_id in machines:
        described = sfn.describe_state_machine(stateMachineArn=stack.physical(logical_id))
        assert described["status"] == "ACTIVE"
        assert json.loads(described["definition"])["States"]
        assert described["stateMachineArn"].split(":")[4] == stack.deployment.account_id
    alarms = {a["AlarmName"] for a in client("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert {stack.physical(k) for k in stack.of_type("AWS::CloudWatch::Alarm")} <= alarms
    topics = {t["TopicArn"] for t in client("sns").list_topics()["Topics"]}
    assert {stack.physical(k) for k in stack.of_type("AWS::SNS::Topic")} <= topics
