"""Bill posts on moto: people, shops, the trained model in the models bucket, receipts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.deploy import Deployment
from tests.integration.catalog.conftest import CATEGORIES, World, fast_argon2

__all__ = ["fast_argon2"]
ROOT = Path(__file__).resolve().parents[3]


def receipts_dir() -> Path:
    """The dev receipts: ``../shared/data/receipts`` beside the project (CI), else the
    workplace's copy."""
    for candidate in (
        ROOT.parent / "shared" / "data" / "receipts",
        Path("/work/shared/data/receipts"),
    ):
        if (candidate / "images").is_dir():
            return candidate
    pytest.skip("the dev receipts (shared/data/receipts) are not on this machine")


def receipt(stem: str) -> bytes:
    return (receipts_dir() / "images" / f"{stem}.jpg").read_bytes()


class BillWorld(World):
    def publish_models(self) -> None:
        from chalicelib.bills import authenticity
        from chalicelib.core import model_store

        authenticity.forget()
        model_store.forget_cache()
        from chalicelib.core.settings import get_settings

        published = model_store.publish_all(authenticity.SHIPPED.parent)
        version = get_settings().bills_model_version
        assert f"{authenticity.MODEL_NAME}/{version}" in published, "no model (train-authenticity)"

    def post(self, author: Any, **fields: Any) -> Any:
        from chalicelib.bills.service import posts

        post, grant = posts.create_post(
            author.caller,
            content_type=fields.pop("content_type", "image/jpeg"),
            shop_id=fields.pop("shop_id", None),
            product_id=None,
            text=fields.pop("text", "Great lamp"),
            rating=fields.pop("rating", 5),
        )
        assert grant.key == post.bill_key
        return post

    def upload(self, post: Any, data: bytes, content_type: str = "image/jpeg") -> Any:
        """Store the bill as the pre-signed POST would, then let the queue run its function."""
        from chalicelib.bills import repository

        boto3.client("s3").put_object(
            Bucket=self.deployment.physical["BillsBucket"],
            Key=post.bill_key,
            Body=data,
            ContentType=content_type,
        )
        self.pump("BillUploadsQueue", "bill-verify")
        return repository.get().post(post.post_id)


@pytest.fixture
def world(aws_env: Deployment) -> BillWorld:
    from chalicelib.catalog.service import site_config

    site_config.save_config(categories_map=CATEGORIES)
    bill_world = BillWorld(aws_env)
    bill_world.publish_models()
    return bill_world


@pytest.fixture(autouse=True)
def one_thread() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
