"""Reviews on moto: accounts, a shop with a product, paid orders, the shipped sentiment
model in the models bucket, and a pump that delivers the review queues to their functions."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.deploy import Deployment, QueueSource
from localcloud.lambdas import LambdaRuntime
from localcloud.pollers import QueuePoller
from tests.fixtures.aws import ROOT
from tests.fixtures.http import ApiClient

PASSWORD = "Reviews-Pass-2026"
MODEL_VERSION = "v5"  # the settings' default sentiment_model_version
MODEL_DIR = ROOT / "models" / "sentiment" / MODEL_VERSION
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "BAZAAR_ARGON2_TIME_COST": "1",
        "BAZAAR_ARGON2_MEMORY_KIB": "8",
        "BAZAAR_ARGON2_PARALLELISM": "1",
    }.items():
        monkeypatch.setenv(key, value)
    from chalicelib.core.settings import reset_settings

    reset_settings()


@pytest.fixture
def sentiment_model(aws_env: Deployment) -> Path:
    """The shipped model, published to the deployment's models bucket (as deploys do)."""
    from chalicelib.core import model_store

    model_store.publish_model(MODEL_DIR, "sentiment", MODEL_VERSION)
    return MODEL_DIR


class Reviews(ApiClient):
    """The API over Chalice's test client, plus what the tests set up around it."""

    def __init__(self, api: Any, deployment: Deployment) -> None:
        super().__init__(api)
        self.deployment = deployment
        self.runtime = LambdaRuntime("us-east-1")
        for spec in deployment.functions.values():
            self.runtime.register(spec)
        self.sqs = boto3.client("sqs")

    def person(self, role: str = "user") -> tuple[str, str]:
        """A new verified account of ``role``: its id and an access token."""
        from chalicelib.identity.service import admin

        email = f"{role}.{next(_numbers)}.{uuid.uuid4().hex[:6]}@reviews.example.com"
        account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
        return account.account_id, self.sign_in(email, PASSWORD)

    def shop_with_product(self, title: str = "Trail Runner Sneakers") -> tuple[str, str, str]:
        """A seller with a shop and one product: the seller's token, shop id, product id."""
        from chalicelib.catalog.schemas import ProductInput, ShopInput
        from chalicelib.catalog.service import products, shops, site_config
        from chalicelib.core.caller import Caller, Role

        site_config.save_config(categories_map={"shoes": ["sneakers", "boots"]})
        seller_id, token = self.person("seller")
        shop = shops.create_shop(
            Caller(seller_id, Role.SELLER),
            ShopInput(name=f"Shop {seller_id[:8]}", category="shoes"),
        )
        owner = Caller(seller_id, Role.SELLER, shop_id=shop.shop_id)
        product = products.create_product(
            owner,
            ProductInput.model_validate(
                {
                    "title": f"{title} {seller_id[:6]}",
                    "category": "shoes",
                    "subcategory": "sneakers",
                    "regular_price": 8999,
                    "stock": 10,
                }
            ),
        )
        return token, shop.shop_id, product.product_id

    def buy(self, user_id: str, product_id: str, shop_id: str, status: str = "PAID") -> str:
        """A stored order of ``user_id`` with a line of ``product_id`` in ``status``."""
        from chalicelib.orders import repository
        from chalicelib.orders.domain import OrderStatus
        from tests.fakes.orders import new_checkout

        new = new_checkout({product_id: 1}, user_id=user_id, shops=(shop_id,))
        new = replace(new, orders=tuple(replace(o, status=OrderStatus(status)) for o in new.orders))
        repository.get().add_checkout(new, redemption=None)
        return new.orders[0].order_id

    def bill_post(self, user_id: str, shop_id: str, status: str = "VERIFIED") -> str:
        """A stored bill post of ``user_id`` about ``shop_id`` in ``status`` (as the bills
        pipeline leaves it); its id."""
        from chalicelib.bills import repository
        from chalicelib.bills.domain import Post, PostStatus
        from chalicelib.core import clock

        now = clock.iso(clock.now())
        post_id = uuid.uuid4().hex
        repository.get().create(
            Post(
                post_id=post_id,
                author_id=user_id,
                status=PostStatus(status),
                bill_key=f"bills/{post_id}",
                content_type="image/jpeg",
                created_at=now,
                updated_at=now,
                shop_id=shop_id,
                verified_at=now if status == "VERIFIED" else None,
            )
        )
        return post_id

    def pump(self, queue: str, function: str) -> int:
        """Deliver what the bus queued to its function, as the local runtime would (bounded);
        failed records stay (visible again at once)."""
        url = self.deployment.physical[queue]
        source = QueueSource(
            function=f"bazaar-test-{function}",
            queue_url=url,
            queue_arn=f"arn:aws:sqs:us-east-1:{self.deployment.account_id}:{url.rsplit('/', 1)[1]}",
            batch_size=10,
            report_batch_item_failures=True,
        )
        poller = QueuePoller(source, self.runtime, self.sqs, wait_seconds=0, fast_retry=True)
        total = 0
        for _ in range(50):
            handled = poller.poll_once()
            if not handled:
                return total
            total += handled
        return total

    def settle(self) -> None:
        """Handle every review event queued so far: aggregates and sentiment."""
        self.pump("ReviewAggregatesQueue", "review-aggregates")
        self.pump("ReviewSentimentQueue", "review-sentiment")

    def messages(self, queue: str) -> list[dict[str, Any]]:
        """Read and delete every message of a queue (bounded): their SQS records."""
        url = self.deployment.physical[queue]
        found: list[dict[str, Any]] = []
        for _ in range(50):
            got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                break
            for message in got:
                found.append(message)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found

    def invoke_with(self, function: str, bodies: list[str]) -> Any:
        """Run ``function`` on an SQS event holding ``bodies`` (fresh message ids)."""
        template = json.loads((ROOT / "events" / "review_aggregates_sqs.json").read_text())
        record = template["Records"][0]
        records = [{**record, "messageId": str(uuid.uuid4()), "body": b} for b in bodies]
        return self.runtime.invoke(f"bazaar-test-{function}", {"Records": records})


@pytest.fixture
def reviews_api(api: Any, aws_env: Deployment) -> Iterator[Reviews]:
    from chalicelib.bills import repository as bills_repository
    from chalicelib.orders import repository as orders_repository
    from chalicelib.reviews import repository as reviews_repository

    bills_repository.use(None)
    orders_repository.use(None)
    reviews_repository.use(None)
    return Reviews(api, aws_env)
