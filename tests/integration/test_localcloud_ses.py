"""The AWS front's ``GET /_localcloud/ses/messages``: SES's sent emails, nothing else of moto's."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
from moto import mock_aws
from moto.core.model_instances import reset_model_data

from localcloud.front import AwsFront
from localcloud.lambdas import LambdaRuntime

RAW = (
    "From: no-reply@bazaar.example.com\r\nTo: ann@shop.example.com\r\n"
    "Subject: Code\r\n\r\nYour code is 123456\r\n"
)


def _moto_app(environ: dict[str, Any], start: Any) -> list[bytes]:
    raise AssertionError("the hook must not reach moto's app")


def _get(front: AwsFront, path: str) -> tuple[str, Any]:
    answered: list[str] = []
    body = front(
        {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO()},
        lambda status, headers: answered.append(status),
    )
    return answered[0], json.loads(b"".join(body))


def test_the_hook_answers_only_what_ses_accepted() -> None:
    front = AwsFront(_moto_app, LambdaRuntime("us-east-1"), lambda: None, lambda: None)
    with mock_aws():
        # moto tracks sent messages outside its backends: an earlier test's stay unless dropped
        reset_model_data()
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress="no-reply@bazaar.example.com")
        ses.send_raw_email(RawMessage={"Data": RAW})
        ses.send_email(
            Source="no-reply@bazaar.example.com",
            Destination={"ToAddresses": ["bob@shop.example.com"]},
            Message={"Subject": {"Data": "Hi"}, "Body": {"Html": {"Data": "<p>654321</p>"}}},
        )
        boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="unrelated")

        status, data = _get(front, "/_localcloud/ses/messages")

    assert status == "200 OK"
    assert set(data) == {"RawMessage", "Message"}
    [raw] = data["RawMessage"]
    assert "Your code is 123456" in raw["raw_data"]
    assert raw["destinations"] == ["ann@shop.example.com"]
    [simple] = data["Message"]
    assert simple["destinations"] == {"ToAddresses": ["bob@shop.example.com"]}
    assert simple["body"] == "<p>654321</p>"
