"""The catalog on moto: categories, provisioned accounts, and a pump for the index queue."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from PIL import Image

from localcloud.deploy import Deployment, QueueSource
from localcloud.lambdas import LambdaRuntime
from localcloud.pollers import QueuePoller

FAST_ARGON2 = {
    "BAZAAR_ARGON2_TIME_COST": "1",
    "BAZAAR_ARGON2_MEMORY_KIB": "8",
    "BAZAAR_ARGON2_PARALLELISM": "1",
}
PASSWORD = "Sturdy-Pass-2026"
CATEGORIES = {
    "shoes": ["sneakers", "boots"],
    "clothing": ["shirts", "jackets"],
    "home": ["kitchen", "lighting"],
}
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAST_ARGON2.items():
        monkeypatch.setenv(key, value)
    from chalicelib.core.settings import reset_settings

    reset_settings()


@dataclass
class Person:
    """A provisioned, verified account and the caller it is to the services."""

    account_id: str
    email: str
    role: str

    @property
    def caller(self) -> Any:
        from chalicelib.core.caller import Caller, Role

        return Caller(account_id=self.account_id, role=Role(self.role), email=self.email)


class World:
    """Helpers over one moto deployment."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.runtime = LambdaRuntime("us-east-1")
        for spec in deployment.functions.values():
            self.runtime.register(spec)
        self.sqs = boto3.client("sqs")
        self.s3 = boto3.client("s3")

    def person(self, role: str = "user") -> Person:
        from chalicelib.identity.service import admin

        email = f"{role}.{next(_numbers)}@catalog.example.com"
        account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
        return Person(account_id=account.account_id, email=email, role=role)

    def seller_with_shop(self, name: str | None = None) -> tuple[Person, Any]:
        from chalicelib.catalog.schemas import ShopInput
        from chalicelib.catalog.service import shops

        seller = self.person("seller")
        shop = shops.create_shop(
            seller.caller,
            ShopInput(name=name or f"Shop {seller.account_id[:6]}", category="shoes"),
        )
        return seller, shop

    def pump(self, queue: str = "CatalogIndexQueue", function: str = "catalog-indexer") -> int:
        """Deliver what the bus queued to its function, as the local runtime would (bounded)."""
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
        for _ in range(500):
            handled = poller.poll_once()
            if not handled:
                return total
            total += handled
        raise AssertionError("queue did not drain")

    def drain(self, queue: str) -> list[dict[str, Any]]:
        """Read and delete every message of a queue (bounded)."""
        url = self.deployment.physical[queue]
        found: list[dict[str, Any]] = []
        for _ in range(100):
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                break
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found


@pytest.fixture
def world(aws_env: Deployment) -> Iterator[World]:
    from chalicelib.catalog.service import site_config

    site_config.save_config(categories_map=CATEGORIES)
    return World(aws_env)


def png_bytes(
    width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def product_body(**overrides: Any) -> Any:
    from chalicelib.catalog.schemas import ProductInput

    data: dict[str, Any] = {
        "title": "Trail Runner Sneakers",
        "category": "shoes",
        "subcategory": "sneakers",
        "brand": "Acme",
        "tags": ["running", "outdoor"],
        "colors": ["red", "black"],
        "sizes": ["42", "43"],
        "regular_price": 8999,
        "stock": 10,
    }
    data.update(overrides)
    return ProductInput.model_validate(data)


def attach_image(world: World, product_id: str, data: bytes, content_type: str) -> dict[str, Any]:
    """Upload ``data`` as the product's seller would and process it now (no queue pump)."""
    from chalicelib.catalog.schemas import ImageUploadInput
    from chalicelib.catalog.service import images, products
    from chalicelib.core.caller import Caller, Role

    product = products.get_product(product_id)
    assert product is not None
    seller = Caller(account_id=product.seller_id, role=Role.SELLER)
    grant = images.request_upload(
        seller,
        product_id,
        ImageUploadInput(content_type=content_type, size=len(data)),  # type: ignore[arg-type]
    )
    bucket = world.deployment.physical["MediaBucket"]
    world.s3.put_object(Bucket=bucket, Key=grant.key, Body=data, ContentType=content_type)
    return images.process_upload(bucket, grant.key, len(data))
