"""Product images: pre-signed upload, then validation and thumbnails by content.

1. The seller asks for an upload: an upload ticket (PENDING) and a pre-signed S3 POST
   whose policy pins the key, the content type and a byte-size range.
2. The object lands under ``uploads/products/<product>/<image>``; the media function
   announces ``media.uploaded``; a bus rule routes it to ``functions/product_images.py``.
3. ``process_upload`` reads the bytes (never more than the limit), lets Pillow decide
   the real format, refuses decompression bombs (pixel limit checked from the header
   before decoding), verifies the file, makes a JPEG thumbnail and WebP renditions,
   attaches them to the product and deletes the upload. A refused upload is deleted
   too, and its ticket says why (REJECTED + reason).
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from PIL import Image, UnidentifiedImageError
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.catalog import products
from chalicelib.catalog.actor import Actor
from chalicelib.catalog.common import new_id
from chalicelib.catalog.inputs import ImageUploadInput
from chalicelib.catalog.models import ACTIVE, Product, UploadTicket, product_pk
from chalicelib.core import aws, clock
from chalicelib.core.errors import ConflictError, NotFoundError, ValidationFailedError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings

UPLOAD_PREFIX = "uploads/products/"
MEDIA_PREFIX = "media/products/"
ALLOWED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
RENDITIONS = {"thumbnail": (256, "JPEG"), "medium": (800, "WEBP"), "full": (1600, "WEBP")}
PENDING, PROCESSING, READY, REJECTED = "PENDING", "PROCESSING", "READY", "REJECTED"
# A claim older than this is taken to belong to a crashed run, and may be taken over.
CLAIM_LEASE = timedelta(minutes=5)
URL_TTL_SECONDS = 3600
_pillow_lock = threading.Lock()


class ImageRejectedError(Exception):
    """The upload is not an acceptable image; ``reason`` says why (kept on the ticket)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class UploadGrant:
    """Where and how the client uploads one image."""

    image_id: str
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


def upload_key(product_id: str, image_id: str) -> str:
    return f"{UPLOAD_PREFIX}{product_id}/{image_id}"


def ticket_sk(image_id: str) -> str:
    return f"UPLOAD#{image_id}"


def request_upload(actor: Actor, product_id: str, body: ImageUploadInput) -> UploadGrant:
    """A pre-signed POST for one image of the actor's product (403/404/409/422)."""
    settings = get_settings()
    product = products.owned_product(actor, product_id)
    if product.status != ACTIVE:
        raise ConflictError("A deleted product cannot get images")
    if len(product.images or []) >= settings.max_images_per_product:
        raise ConflictError(
            f"A product has at most {settings.max_images_per_product} images",
            details={"limit": settings.max_images_per_product},
        )
    if body.size > settings.image_max_bytes:
        raise ValidationFailedError(
            "Invalid request: size",
            details=[
                {
                    "field": "size",
                    "message": f"images are at most {settings.image_max_bytes} bytes",
                    "type": "too_large",
                }
            ],
        )
    image_id = new_id()
    key = upload_key(product_id, image_id)
    UploadTicket(
        pk=product_pk(product_id),
        sk=ticket_sk(image_id),
        image_id=image_id,
        product_id=product_id,
        shop_id=product.shop_id,
        key=key,
        content_type=body.content_type,
        status=PENDING,
        created_at=clock.now(),
    ).save()
    post = aws.client("s3").generate_presigned_post(
        Bucket=settings.media_bucket,
        Key=key,
        Fields={"Content-Type": body.content_type},
        Conditions=[
            {"Content-Type": body.content_type},
            ["content-length-range", 1, settings.image_max_bytes],
        ],
        ExpiresIn=settings.image_upload_ttl_seconds,
    )
    return UploadGrant(
        image_id=image_id,
        key=key,
        url=post["url"],
        fields=dict(post["fields"]),
        max_bytes=settings.image_max_bytes,
        expires_in=settings.image_upload_ttl_seconds,
    )


def get_ticket(actor: Actor, product_id: str, image_id: str) -> UploadTicket:
    """The state of one upload of the actor's product."""
    products.owned_product(actor, product_id)
    try:
        return UploadTicket.get(product_pk(product_id), ticket_sk(image_id), consistent_read=True)
    except UploadTicket.DoesNotExist:
        raise NotFoundError("No such upload", details={"image_id": image_id}) from None


# ---------- processing (the S3-triggered function) ----------
def _parse_key(key: str) -> tuple[str, str] | None:
    if not key.startswith(UPLOAD_PREFIX):
        return None
    parts = key[len(UPLOAD_PREFIX) :].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def inspect_image(data: bytes, *, max_pixels: int) -> Image.Image:
    """Open and verify ``data``; raises ImageRejectedError naming the problem.

    The pixel count is checked from the header, before anything is decoded, so a small
    file that claims huge dimensions (a decompression bomb) costs nothing.
    """
    with _pillow_lock, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            try:
                probe = Image.open(io.BytesIO(data))
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise ImageRejectedError(
                    f"decompression bomb: more than {max_pixels} pixels"
                ) from None
            except UnidentifiedImageError:
                raise ImageRejectedError("not an image (unrecognised content)") from None
            if probe.format not in ALLOWED_FORMATS:
                raise ImageRejectedError(
                    f"image format {probe.format} is not allowed"
                    f" (allowed: {', '.join(sorted(ALLOWED_FORMATS))})"
                )
            width, height = probe.size
            if width * height > max_pixels:
                raise ImageRejectedError(
                    f"decompression bomb: {width}x{height} is more than {max_pixels} pixels"
                )
            try:
                probe.verify()
                image = Image.open(io.BytesIO(data))
                image.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise ImageRejectedError(
                    f"decompression bomb: more than {max_pixels} pixels"
                ) from None
            except (OSError, SyntaxError, ValueError) as error:
                raise ImageRejectedError(f"corrupt image: {error}") from None
            return image
        finally:
            Image.MAX_IMAGE_PIXELS = previous


def render(image: Image.Image, max_side: int, fmt: str) -> bytes:
    """A copy no larger than ``max_side`` on either side, encoded as ``fmt``."""
    copy = image.copy()
    copy.thumbnail((max_side, max_side))
    if fmt == "JPEG":
        if copy.mode in ("RGBA", "LA", "P"):
            rgba = copy.convert("RGBA")
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.getchannel("A"))
            copy = background
        elif copy.mode != "RGB":
            copy = copy.convert("RGB")
    elif copy.mode not in ("RGB", "RGBA"):
        copy = copy.convert("RGBA")
    out = io.BytesIO()
    copy.save(out, format=fmt, quality=85)
    return out.getvalue()


def _read_bounded(bucket: str, key: str, limit: int) -> bytes:
    body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    data: bytes = body.read(limit + 1)
    body.close()
    if len(data) > limit:
        raise ImageRejectedError(f"too large: more than {limit} bytes")
    return data


def _claim(ticket: UploadTicket) -> bool:
    """Take the ticket for processing; False if another run has (S3 notifies at least once)."""
    now = clock.now()
    free = (UploadTicket.status == PENDING) | (
        (UploadTicket.status == PROCESSING) & (UploadTicket.processed_at < now - CLAIM_LEASE)
    )
    try:
        ticket.update(
            actions=[UploadTicket.status.set(PROCESSING), UploadTicket.processed_at.set(now)],
            condition=free,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _finish(ticket: UploadTicket, status: str, reason: str | None) -> None:
    actions: list[Action] = [
        UploadTicket.status.set(status),
        UploadTicket.processed_at.set(clock.now()),
    ]
    if reason:
        actions.append(UploadTicket.reason.set(reason[:500]))
    ticket.update(actions=actions)


def process_upload(bucket: str, key: str, size: int | None = None) -> dict[str, Any]:
    """Validate one uploaded object, attach its renditions or reject it (idempotent)."""
    settings = get_settings()
    s3 = aws.client("s3")
    parsed = _parse_key(key)
    if parsed is None or bucket != settings.media_bucket:
        return {"status": "ignored", "key": key}
    product_id, image_id = parsed
    try:
        ticket = UploadTicket.get(product_pk(product_id), ticket_sk(image_id), consistent_read=True)
    except UploadTicket.DoesNotExist:
        s3.delete_object(Bucket=bucket, Key=key)
        logger.warning("Deleted an upload nobody asked for", extra={"key": key})
        return {"status": "unknown", "key": key}
    if ticket.status in (READY, REJECTED) or not _claim(ticket):
        return {"status": ticket.status, "image_id": image_id}
    try:
        if size is not None and size > settings.image_max_bytes:
            raise ImageRejectedError(f"too large: {size} bytes (limit {settings.image_max_bytes})")
        data = _read_bounded(bucket, key, settings.image_max_bytes)
        image = inspect_image(data, max_pixels=settings.image_max_pixels)
        real_type = ALLOWED_FORMATS[str(image.format)]
        if real_type != ticket.content_type:
            raise ImageRejectedError(
                f"content is {real_type} but the upload was declared {ticket.content_type}"
            )
        product = products.get_product(product_id)
        if product is None or product.status != ACTIVE:
            raise ImageRejectedError("the product no longer exists")
        if len(product.images or []) >= settings.max_images_per_product:
            raise ImageRejectedError(
                f"the product already has {settings.max_images_per_product} images"
            )
        entry = _store_renditions(bucket, product_id, image_id, image)
    except ImageRejectedError as rejected:
        s3.delete_object(Bucket=bucket, Key=key)
        _finish(ticket, REJECTED, rejected.reason)
        logger.info("Image rejected", extra={"key": key, "reason": rejected.reason})
        return {"status": REJECTED, "image_id": image_id, "reason": rejected.reason}
    _attach(product, entry)
    s3.delete_object(Bucket=bucket, Key=key)
    _finish(ticket, READY, None)
    return {"status": READY, "image_id": image_id}


def _store_renditions(
    bucket: str, product_id: str, image_id: str, image: Image.Image
) -> dict[str, Any]:
    s3 = aws.client("s3")
    entry: dict[str, Any] = {"image_id": image_id, "width": image.width, "height": image.height}
    for name, (side, fmt) in RENDITIONS.items():
        extension = "jpg" if fmt == "JPEG" else "webp"
        key = f"{MEDIA_PREFIX}{product_id}/{image_id}/{name}.{extension}"
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=render(image, side, fmt),
            ContentType="image/jpeg" if fmt == "JPEG" else "image/webp",
            CacheControl="public, max-age=31536000, immutable",
        )
        entry[f"{name}_key"] = key
    return entry


def _attach(product: Product, entry: dict[str, Any]) -> None:
    images = [*(product.images or []), entry]
    products.save_system_change(product, [Product.images.set(images)], "images")


def remove_image(actor: Actor, product_id: str, image_id: str) -> Product:
    """Detach one image from the actor's product and delete its files."""
    product = products.owned_product(actor, product_id)
    kept = [entry for entry in product.images or [] if entry.get("image_id") != image_id]
    if len(kept) == len(product.images or []):
        raise NotFoundError("No such image", details={"image_id": image_id})
    products.save_system_change(product, [Product.images.set(kept)], "images")
    delete_files(product_id, [image_id])
    return product


def delete_files(product_id: str, image_ids: list[str] | None = None) -> int:
    """Delete a product's rendition files (all of them when ``image_ids`` is None)."""
    s3 = aws.client("s3")
    bucket = get_settings().media_bucket
    prefix = f"{MEDIA_PREFIX}{product_id}/"
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            image = item["Key"][len(prefix) :].split("/", 1)[0]
            if image_ids is None or image in image_ids:
                keys.append(item["Key"])
    for start in range(0, len(keys), 1000):
        s3.delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]]},
        )
    return len(keys)


def url_for(key: str | None) -> str | None:
    """A time-limited GET URL for a media key (the bucket is private)."""
    if not key:
        return None
    url: str = aws.client("s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": get_settings().media_bucket, "Key": key},
        ExpiresIn=URL_TTL_SECONDS,
    )
    return url


def image_urls(entry: dict[str, Any]) -> dict[str, Any]:
    """An image entry as the API shows it."""
    return {
        "image_id": entry["image_id"],
        "width": entry.get("width"),
        "height": entry.get("height"),
        "thumbnail_url": url_for(entry.get("thumbnail_key")),
        "medium_url": url_for(entry.get("medium_key")),
        "full_url": url_for(entry.get("full_key")),
    }


def attach_local_image(product: Product, data: bytes, content_type: str) -> dict[str, Any]:
    """Upload ``data`` as the product's seller would and process it now (seeds, tests)."""
    settings = get_settings()
    image_id = new_id()
    key = upload_key(product.product_id, image_id)
    UploadTicket(
        pk=product_pk(product.product_id),
        sk=ticket_sk(image_id),
        image_id=image_id,
        product_id=product.product_id,
        shop_id=product.shop_id,
        key=key,
        content_type=content_type,
        status=PENDING,
        created_at=clock.now(),
    ).save()
    aws.client("s3").put_object(
        Bucket=settings.media_bucket, Key=key, Body=data, ContentType=content_type
    )
    return process_upload(settings.media_bucket, key, len(data))
