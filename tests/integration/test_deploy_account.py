"""The deployer takes the account id from the endpoint it deploys to, never a constant.

moto answers STS with ``MOTO_ACCOUNT_ID`` when that is set, so deploying under another
account proves every ARN the deployer builds follows the endpoint (LocalStack answers
``000000000000``; `make localstack-test` runs the same against LocalStack itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.deploy import LOCALSTACK_WITHOUT_DOCKER, Deployment, deploy
from localcloud.template import load_template, to_cloudformation

REGION = "us-east-1"
OTHER_ACCOUNT = "111122223333"


@pytest.fixture
def other_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OTHER_ACCOUNT)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield


def _deploy(**options: Any) -> Deployment:
    template = to_cloudformation(load_template(), {"Stage": "test"}, REGION)
    return deploy(
        template,
        stack_name="bazaar-acct",
        region=REGION,
        parameters={"Stage": "test"},
        endpoint_url=None,  # type: ignore[arg-type]
        **options,
    )


def client(service: str) -> Any:
    return boto3.client(
        service, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
    )


@pytest.mark.usefixtures("other_account")
def test_every_arn_the_deployer_builds_carries_the_endpoints_account() -> None:
    # When the template is deployed to an endpoint whose STS answers another account
    deployment = _deploy()
    # Then the deployment, its bucket name, queue redrive and notification ARNs, rule
    # targets, functions and schedules all carry that account
    assert deployment.account_id == OTHER_ACCOUNT
    assert deployment.physical["MediaBucket"].endswith(f"-{OTHER_ACCOUNT}")
    sqs = client("sqs")
    policy = sqs.get_queue_attributes(
        QueueUrl=deployment.physical["EventArchiveQueue"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]["RedrivePolicy"]
    assert json.loads(policy)["deadLetterTargetArn"].split(":")[4] == OTHER_ACCOUNT
    notification = client("s3").get_bucket_notification_configuration(
        Bucket=deployment.physical["MediaBucket"]
    )["QueueConfigurations"][0]
    assert notification["QueueArn"].split(":")[4] == OTHER_ACCOUNT
    targets = client("events").list_targets_by_rule(
        Rule=deployment.physical["EventArchiveRule"],
        EventBusName=deployment.physical["EventBus"],
    )["Targets"]
    assert [target["Arn"].split(":")[4] for target in targets] == [OTHER_ACCOUNT]
    assert {spec.arn.split(":")[4] for spec in deployment.functions.values()} == {OTHER_ACCOUNT}
    assert {s.rule_arn.split(":")[4] for s in deployment.schedules} == {OTHER_ACCOUNT}
    assert all(":123456789012:" not in source.queue_arn for source in deployment.queue_sources)


@pytest.mark.usefixtures("other_account")
def test_the_localstack_mode_creates_no_table_and_no_function_and_names_them() -> None:
    # When deployed in the mode for LocalStack without Docker
    deployment = _deploy(unsupported=LOCALSTACK_WITHOUT_DOCKER)
    # Then no table was created, no function, source or schedule registered
    assert client("dynamodb").list_tables()["TableNames"] == []
    assert not deployment.functions
    assert not deployment.queue_sources
    assert not deployment.schedules
    # And each is named with its reason, the rest (queues, bus, bucket) was created
    assert deployment.skipped["CatalogTable"] == LOCALSTACK_WITHOUT_DOCKER["AWS::DynamoDB::Table"]
    assert deployment.skipped["WebsocketAPI"] == LOCALSTACK_WITHOUT_DOCKER["AWS::ApiGatewayV2::Api"]
    assert any("catalog" in url for url in client("sqs").list_queues()["QueueUrls"])
    assert client("s3").list_buckets()["Buckets"]
    # And what refers to a skipped table still resolves (to the name it would have)
    assert deployment.physical["CatalogTable"] == "bazaar-acct-catalog"
