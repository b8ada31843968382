"""Analytics on moto: sellers with shops and products, the HTTP edge, and the consumer
run on what really reached the analytics queue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from chalicelib.analytics import repository
from localcloud.deploy import Deployment
from localcloud.lambdas import LambdaRuntime
from tests.fixtures.http import ApiClient
from tests.fixtures.products import fresh_products

PASSWORD = "Analytics-Pass-2026"
CONSUMER = "bazaar-test-analytics-events"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@dataclass
class Seller:
    account_id: str
    token: str
    shop_id: str
    products: list[str]


class Http(ApiClient):
    def person(self, role: str = "user") -> tuple[str, str]:
        """A new account of ``role`` and its access token."""
        from chalicelib.identity.service import admin

        email = f"{role}.{uuid.uuid4().hex[:8]}@analytics.example.com"
        account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
        return account.account_id, self.sign_in(email, PASSWORD)

    def seller(self, products: int = 3) -> Seller:
        """A seller with a shop of ``products`` products (signed in after the shop exists)."""
        from chalicelib.dev import demo
        from chalicelib.identity.service import admin

        email = f"seller.{uuid.uuid4().hex[:8]}@analytics.example.com"
        account = admin.provision_account(email, PASSWORD, role="seller")
        demo.ensure_categories()
        shop = demo.ensure_shop(account.account_id, f"Shop {email[:14]}", "home")
        made = fresh_products(shop, products)
        return Seller(
            account.account_id,
            self.sign_in(email, PASSWORD),
            shop.shop_id,
            [product.product_id for product in made],
        )

    def post_events(
        self,
        events: list[dict[str, Any]],
        *,
        anonymous_id: str = "anon-1",
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Any:
        body = {"anonymous_id": anonymous_id, "session_id": "session-1", "events": events, **extra}
        return self.call(
            "POST",
            "/analytics/events",
            body,
            token=token,
            headers={"User-Agent": IPHONE, **(headers or {})},
        )


@pytest.fixture
def http(api: Any) -> Iterator[Http]:
    repository.use(None)
    return Http(api)


@pytest.fixture
def runtime(aws_env: Deployment) -> LambdaRuntime:
    runtime = LambdaRuntime("us-east-1")
    for spec in aws_env.functions.values():
        runtime.register(spec)
    return runtime


def queued(aws_env: Deployment) -> list[dict[str, Any]]:
    """Receive every message waiting on the analytics queue (bounded), as SQS records."""
    sqs = boto3.client("sqs")
    url = aws_env.physical["AnalyticsEventsQueue"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    records: list[dict[str, Any]] = []
    for _ in range(50):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        messages = got.get("Messages", [])
        if not messages:
            break
        for message in messages:
            records.append(
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": "us-east-1",
                }
            )
    return records


def consume(runtime: LambdaRuntime, records: list[dict[str, Any]]) -> list[str]:
    """Run the consumer on ``records`` (batches of 10, as the template says); the ids of
    the records it reported as failed."""
    failed: list[str] = []
    for start in range(0, len(records), 10):
        result = runtime.invoke(CONSUMER, {"Records": records[start : start + 10]})
        assert result.error is None, result.payload
        failed += [item["itemIdentifier"] for item in result.payload["batchItemFailures"]]
    return failed


def lake_objects(aws_env: Deployment) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    bucket = aws_env.physical["AnalyticsLakeBucket"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="events/").get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed
    }
