"""The same infra on LocalStack. Runs only when LOCALSTACK_ENDPOINT answers."""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from typing import Any

import boto3
import pytest

from localcloud.deploy import deploy
from localcloud.template import load_template, to_cloudformation

ENDPOINT = os.environ.get("LOCALSTACK_ENDPOINT", "")


def _reachable(endpoint: str) -> str | None:
    if not endpoint:
        return "LOCALSTACK_ENDPOINT is not set (e.g. http://127.0.0.1:4566)"
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
            response.read()
    except OSError as exc:
        return f"no LocalStack at {endpoint}: {exc}"
    return None


SKIP = _reachable(ENDPOINT)
pytestmark = [pytest.mark.localstack, pytest.mark.skipif(SKIP is not None, reason=SKIP or "")]


def client(service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_template_deploys_and_bus_and_bucket_deliver_to_their_queues() -> None:
    stack = f"bazaar-ls-{uuid.uuid4().hex[:8]}"
    template = to_cloudformation(load_template(), {"Stage": "test"}, "us-east-1")
    template["Resources"]["EventBus"]["Properties"]["Name"] = stack
    deployment = deploy(
        template,
        stack_name=stack,
        region="us-east-1",
        parameters={"Stage": "test"},
        endpoint_url=ENDPOINT,
    )
    sqs = client("sqs")
    detail = {
        "metadata": {
            "event_id": str(uuid.uuid4()),
            "occurred_at": "2026-01-01T00:00:00Z",
            "version": 1,
        },
        "data": {},
    }
    client("events").put_events(
        Entries=[
            {
                "Source": "bazaar.test",
                "DetailType": "test.happened",
                "Detail": json.dumps(detail),
                "EventBusName": stack,
            }
        ]
    )
    got = sqs.receive_message(QueueUrl=deployment.physical["EventArchiveQueue"], WaitTimeSeconds=10)
    assert json.loads(got["Messages"][0]["Body"])["detail"] == detail

    client("s3").put_object(
        Bucket=deployment.physical["MediaBucket"], Key="uploads/a.png", Body=b"x"
    )
    bodies = []
    for _ in range(3):  # an s3:TestEvent may come first
        got = sqs.receive_message(
            QueueUrl=deployment.physical["MediaUploadsQueue"], WaitTimeSeconds=10
        )
        bodies += [m["Body"] for m in got.get("Messages", [])]
        if any("uploads/a.png" in body for body in bodies):
            break
    assert any("uploads/a.png" in body for body in bodies)
