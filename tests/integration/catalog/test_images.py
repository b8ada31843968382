"""Product images: pre-signed upload, Pillow validation by content, renditions, rejections."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any

import boto3
import pytest
from PIL import Image

from tests.integration.catalog.conftest import World, attach_image, png_bytes, product_body


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def upload(world: World, product_id: str, data: bytes, content_type: str) -> dict[str, Any]:
    """As the seller's client: ask for a grant, POST the file to S3, let the pipeline run."""
    from chalicelib.catalog.schemas import ImageUploadInput
    from chalicelib.catalog.service import images, products

    product = products.get_product(product_id)
    assert product is not None
    actor = _actor_for(product.seller_id)
    grant = images.request_upload(
        actor, product_id, ImageUploadInput(content_type=content_type, size=max(1, len(data)))
    )
    assert grant.fields["Content-Type"] == content_type
    assert grant.fields["key"] == grant.key
    boto3.client("s3").put_object(
        Bucket=world.deployment.physical["MediaBucket"],
        Key=grant.key,
        Body=data,
        ContentType=content_type,
    )
    world.pump("MediaUploadsQueue", "media-uploaded")
    world.pump("ProductImagesQueue", "product-images")
    ticket = images.get_ticket(actor, product_id, grant.image_id)
    return {"status": ticket.status, "reason": ticket.reason, "image_id": grant.image_id}


def _actor_for(account_id: str) -> Any:
    from chalicelib.core.caller import Caller, Role

    return Caller(account_id=account_id, role=Role.SELLER)


def bucket_keys(world: World, prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(
        Bucket=world.deployment.physical["MediaBucket"], Prefix=prefix
    )
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_a_good_image_gets_renditions_and_is_attached(world: World) -> None:
    from chalicelib.catalog.service import products

    seller, _ = world.seller_with_shop()
    product = products.create_product(seller.caller, product_body())
    result = upload(world, product.product_id, png_bytes(1200, 900), "image/png")
    assert result == {"status": "READY", "reason": None, "image_id": result["image_id"]}

    stored = products.get_product(product.product_id)
    assert stored is not None
    (entry,) = stored.images
    assert (entry.width, entry.height) == (1200, 900)
    keys = bucket_keys(world, f"media/products/{product.product_id}/")
    assert [key.rsplit("/", 1)[1] for key in keys] == ["full.webp", "medium.webp", "thumbnail.jpg"]
    thumb = boto3.client("s3").get_object(
        Bucket=world.deployment.physical["MediaBucket"], Key=entry.thumbnail_key
    )
    image = Image.open(io.BytesIO(thumb["Body"].read()))
    assert image.format == "JPEG"
    assert max(image.size) == 256
    medium = Image.open(
        io.BytesIO(
            boto3.client("s3")
            .get_object(Bucket=world.deployment.physical["MediaBucket"], Key=entry.medium_key)[
                "Body"
            ]
            .read()
        )
    )
    assert medium.format == "WEBP"
    assert max(medium.size) == 800
    assert bucket_keys(world, f"uploads/products/{product.product_id}/") == []


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        (b"this is plain text, not a picture", "image/png", "not an image"),
        (bomb_png(), "image/png", "decompression bomb"),
        (bomb_png(7_000, 7_000), "image/png", "decompression bomb"),
        (png_bytes()[:60], "image/png", "corrupt image"),
        (png_bytes(), "image/jpeg", "declared image/jpeg"),
    ],
    ids=["not-an-image", "bomb", "bomb-just-over-the-limit", "truncated", "wrong-type"],
)
def test_bad_uploads_are_deleted_and_the_reason_kept(
    world: World, data: bytes, content_type: str, reason: str
) -> None:
    from chalicelib.catalog.service import products

    seller, _ = world.seller_with_shop()
    product = products.create_product(seller.caller, product_body())
    result = upload(world, product.product_id, data, content_type)
    assert result["status"] == "REJECTED"
    assert reason in result["reason"]
    assert bucket_keys(world, f"uploads/products/{product.product_id}/") == []
    stored = products.get_product(product.product_id)
    assert stored is not None
    assert stored.images == ()


def test_too_large_uploads_are_refused_up_front_and_after_upload(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.catalog.schemas import ImageUploadInput
    from chalicelib.catalog.service import images, products
    from chalicelib.core.errors import ValidationFailedError
    from chalicelib.core.settings import reset_settings

    seller, _ = world.seller_with_shop()
    product = products.create_product(seller.caller, product_body())
    with pytest.raises(ValidationFailedError):
        images.request_upload(
            seller.caller,
            product.product_id,
            ImageUploadInput(content_type="image/png", size=50 * 1_048_576),
        )
    # A client that lies about the size: the S3 policy would stop it on AWS; the
    # function stops it anywhere.
    grant = images.request_upload(
        seller.caller, product.product_id, ImageUploadInput(content_type="image/png", size=10)
    )
    monkeypatch.setenv("BAZAAR_IMAGE_MAX_BYTES", "1000")
    reset_settings()
    big = png_bytes(400, 400, (1, 2, 3)) + b"\x00" * 2000
    bucket = world.deployment.physical["MediaBucket"]
    boto3.client("s3").put_object(Bucket=bucket, Key=grant.key, Body=big)
    result = images.process_upload(bucket, grant.key, len(big))
    assert result["status"] == "REJECTED"
    assert "too large" in result["reason"]


def test_processing_is_idempotent_and_strangers_uploads_are_dropped(world: World) -> None:
    from chalicelib.catalog.service import images, products

    seller, _ = world.seller_with_shop()
    product = products.create_product(seller.caller, product_body())
    first = attach_image(world, product.product_id, png_bytes(), "image/png")
    bucket = world.deployment.physical["MediaBucket"]
    again = images.process_upload(bucket, images.upload_key(product.product_id, first["image_id"]))
    assert again["status"] == "READY"
    assert len(products.get_product(product.product_id).images) == 1  # type: ignore[union-attr]

    key = images.upload_key(product.product_id, "not-a-ticket")
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=png_bytes())
    assert images.process_upload(bucket, key)["status"] == "unknown"
    assert bucket_keys(world, key) == []


def test_the_bus_rule_routes_only_product_and_asset_uploads(world: World) -> None:
    rule = boto3.client("events").describe_rule(
        Name=world.deployment.physical["ProductImagesRule"],
        EventBusName=world.deployment.physical["EventBus"],
    )
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"]["data"]["key"] == [
        {"prefix": "uploads/products/"},
        {"prefix": "uploads/assets/"},
    ]
