"""The media store's contract: the in-memory fake and S3 describe objects alike."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.media.domain import StoredObject
from chalicelib.media.errors import UploadNotFoundError
from chalicelib.media.repository import MediaStore, S3MediaStore
from localcloud.deploy import Deployment
from tests.fakes.media import InMemoryMediaStore

KEY = "uploads/products/p-1/photo 1.png"
ETAG = "25d55ad283aa400af464c76d713c07ad"  # MD5 of the body below


@pytest.fixture(params=["in-memory", "s3"])
def store_and_bucket(request: pytest.FixtureRequest) -> tuple[MediaStore, str]:
    """A store holding one 8-byte PNG under KEY, and its bucket."""
    if request.param == "in-memory":
        fake = InMemoryMediaStore()
        fake.put("media", KEY, StoredObject(size=8, etag=ETAG, content_type="image/png"))
        return fake, "media"
    deployment: Deployment = request.getfixturevalue("aws_env")
    bucket = deployment.physical["MediaBucket"]
    boto3.client("s3").put_object(Bucket=bucket, Key=KEY, Body=b"12345678", ContentType="image/png")
    return S3MediaStore(), bucket


def test_an_object_is_described_by_size_etag_and_type(
    store_and_bucket: tuple[MediaStore, str],
) -> None:
    store, bucket = store_and_bucket
    assert store.describe(bucket, KEY) == StoredObject(size=8, etag=ETAG, content_type="image/png")


def test_a_missing_object_is_not_found(store_and_bucket: tuple[MediaStore, str]) -> None:
    store, bucket = store_and_bucket
    with pytest.raises(UploadNotFoundError):
        store.describe(bucket, "uploads/products/p-1/never.png")
