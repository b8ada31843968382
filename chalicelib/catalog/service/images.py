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
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.catalog import media, repository
from chalicelib.catalog.domain import (
    ImageStatus,
    Product,
    ProductImage,
    UploadGrant,
    UploadTicket,
)
from chalicelib.catalog.schemas import ImageUploadInput
from chalicelib.catalog.service import products
from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import ConflictError, NotFoundError, ValidationFailedError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings

if TYPE_CHECKING:
    from PIL import Image

UPLOAD_PREFIX = "uploads/products/"
MEDIA_PREFIX = "media/products/"
ALLOWED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
RENDITIONS = {"thumbnail": (256, "JPEG"), "medium": (800, "WEBP"), "full": (1600, "WEBP")}
# A claim older than this is taken to belong to a crashed run, and may be taken over.
CLAIM_LEASE = timedelta(minutes=5)
_pillow_lock = threading.Lock()


class ImageRejectedError(Exception):
    """The upload is not an acceptable image; ``reason`` says why (kept on the ticket)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def upload_key(product_id: str, image_id: str) -> str:
    return f"{UPLOAD_PREFIX}{product_id}/{image_id}"


def request_upload(caller: Caller, product_id: str, body: ImageUploadInput) -> UploadGrant:
    """A pre-signed POST for one image of the caller's product (404 for an unknown or
    another seller's product, 409, 422)."""
    settings = get_settings()
    product = products.owned_product(caller, product_id)
    if not product.is_active:
        raise ConflictError("A deleted product cannot get images")
    if len(product.images) >= settings.max_images_per_product:
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
    repository.get().add_ticket(
        UploadTicket(
            image_id=image_id,
            product_id=product_id,
            shop_id=product.shop_id,
            key=key,
            content_type=body.content_type,
            status=ImageStatus.PENDING,
            created_at=clock.now(),
        )
    )
    grant = media.presigned_upload(
        key,
        body.content_type,
        max_bytes=settings.image_max_bytes,
        ttl=settings.image_upload_ttl_seconds,
    )
    return replace(
        grant,
        image_id=image_id,
        max_bytes=settings.image_max_bytes,
        expires_in=settings.image_upload_ttl_seconds,
    )


def get_ticket(caller: Caller, product_id: str, image_id: str) -> UploadTicket:
    """The state of one upload of the caller's product."""
    products.owned_product(caller, product_id)
    ticket = repository.get().ticket(product_id, image_id)
    if ticket is None:
        raise NotFoundError("No such upload", details={"image_id": image_id})
    return ticket


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
    from PIL import Image, UnidentifiedImageError  # Pillow loads with the first image: cold start

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
    from PIL import Image  # see inspect_image

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


def _read_bounded(key: str, limit: int) -> bytes:
    data = media.read_at_most(key, limit)
    if len(data) > limit:
        raise ImageRejectedError(f"too large: more than {limit} bytes")
    return data


def process_upload(bucket: str, key: str, size: int | None = None) -> dict[str, Any]:
    """Validate one uploaded object, attach its renditions or reject it (idempotent)."""
    settings = get_settings()
    parsed = _parse_key(key)
    if parsed is None or bucket != settings.media_bucket:
        return {"status": "ignored", "key": key}
    product_id, image_id = parsed
    repo = repository.get()
    ticket = repo.ticket(product_id, image_id)
    if ticket is None:
        media.delete(key)
        logger.warning("Deleted an upload nobody asked for", extra={"key": key})
        return {"status": "unknown", "key": key}
    if ticket.status in (ImageStatus.READY, ImageStatus.REJECTED) or not repo.claim_ticket(
        ticket, now=clock.now(), lease=CLAIM_LEASE
    ):
        return {"status": ticket.status.value, "image_id": image_id}
    try:
        if size is not None and size > settings.image_max_bytes:
            raise ImageRejectedError(f"too large: {size} bytes (limit {settings.image_max_bytes})")
        data = _read_bounded(key, settings.image_max_bytes)
        image = inspect_image(data, max_pixels=settings.image_max_pixels)
        real_type = ALLOWED_FORMATS[str(image.format)]
        if real_type != ticket.content_type:
            raise ImageRejectedError(
                f"content is {real_type} but the upload was declared {ticket.content_type}"
            )
        product = products.get_product(product_id)
        if product is None or not product.is_active:
            raise ImageRejectedError("the product no longer exists")
        if len(product.images) >= settings.max_images_per_product:
            raise ImageRejectedError(
                f"the product already has {settings.max_images_per_product} images"
            )
        entry = _store_renditions(product_id, image_id, image)
    except ImageRejectedError as rejected:
        media.delete(key)
        repo.finish_ticket(ticket, ImageStatus.REJECTED, rejected.reason, now=clock.now())
        logger.info("Image rejected", extra={"key": key, "reason": rejected.reason})
        return {
            "status": ImageStatus.REJECTED.value,
            "image_id": image_id,
            "reason": rejected.reason,
        }
    products.set_images(product, [*product.images, entry])
    media.delete(key)
    repo.finish_ticket(ticket, ImageStatus.READY, None, now=clock.now())
    return {"status": ImageStatus.READY.value, "image_id": image_id}


def _store_renditions(product_id: str, image_id: str, image: Image.Image) -> ProductImage:
    keys: dict[str, str] = {}
    for name, (side, fmt) in RENDITIONS.items():
        extension = "jpg" if fmt == "JPEG" else "webp"
        key = f"{MEDIA_PREFIX}{product_id}/{image_id}/{name}.{extension}"
        content_type = "image/jpeg" if fmt == "JPEG" else "image/webp"
        media.put(key, render(image, side, fmt), content_type)
        keys[f"{name}_key"] = key
    return ProductImage(
        image_id=image_id,
        width=image.width,
        height=image.height,
        thumbnail_key=keys["thumbnail_key"],
        medium_key=keys["medium_key"],
        full_key=keys["full_key"],
    )


# ---------- images of other capabilities (chat): the same checks, one rendition ----------
def grant_upload(key: str, content_type: str) -> UploadGrant:
    """A pre-signed POST for one image at ``key`` (the image limits of the catalog)."""
    settings = get_settings()
    grant = media.presigned_upload(
        key,
        content_type,
        max_bytes=settings.image_max_bytes,
        ttl=settings.image_upload_ttl_seconds,
    )
    return replace(
        grant,
        image_id=key.rsplit("/", 1)[-1],
        max_bytes=settings.image_max_bytes,
        expires_in=settings.image_upload_ttl_seconds,
    )


def accept_upload(key: str, rendition_key: str, *, side: int = 1600) -> tuple[int, int]:
    """Check the object uploaded at ``key`` as every image is checked (bounded read, the
    real format by content, the pixel limit before decoding, ``verify()``), store one WebP
    rendition at ``rendition_key`` and delete the upload; the image's (width, height).

    Raises NotFoundError when nothing was uploaded there, ImageRejectedError (the upload
    deleted) naming what is wrong with it.
    """
    settings = get_settings()
    data = media.read_if_present(key, settings.image_max_bytes)
    if data is None:
        raise NotFoundError("Nothing was uploaded for this image: upload it first")
    try:
        if len(data) > settings.image_max_bytes:
            raise ImageRejectedError(f"too large: more than {settings.image_max_bytes} bytes")
        image = inspect_image(data, max_pixels=settings.image_max_pixels)
        media.put(rendition_key, render(image, side, "WEBP"), "image/webp")
    except ImageRejectedError:
        media.delete(key)
        raise
    media.delete(key)
    return image.width, image.height


def discard(keys: list[str]) -> None:
    """Delete files that ``grant_upload``/``accept_upload`` made for another capability
    (an upload never accepted, a rendition no longer shown); a missing one is fine, so
    discarding twice is harmless."""
    for key in keys:
        media.delete(key)


def remove_image(caller: Caller, product_id: str, image_id: str) -> Product:
    """Detach one image from the caller's product and delete its files."""
    product = products.owned_product(caller, product_id)
    kept = [image for image in product.images if image.image_id != image_id]
    if len(kept) == len(product.images):
        raise NotFoundError("No such image", details={"image_id": image_id})
    changed = products.set_images(product, kept)
    delete_files(product_id, [image_id])
    return changed


def delete_files(product_id: str, image_ids: list[str] | None = None) -> int:
    """Delete a product's rendition files (all of them when ``image_ids`` is None)."""
    return media.delete_under(f"{MEDIA_PREFIX}{product_id}/", first_parts=image_ids)
