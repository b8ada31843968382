"""Asset uploads: a shop's logo, the site's logo and banner.

Media keys are never taken on trust: the private media bucket also holds every product's
images, so a field that stores a key (``logo_key``, ``banner_key``) could otherwise be
pointed at any object and read back through the signed link the API hands out. Instead:

1. The caller asks for an upload for one purpose (``shop_logo`` — sellers;
   ``site_logo``/``site_banner`` — admins): an upload ticket (PENDING) owned by the caller
   and a pre-signed POST to ``uploads/assets/<asset id>``.
2. The same image pipeline as product images (``functions/product_images.py``, via
   ``media.uploaded``) checks the file by content (format, declared type, pixel limit,
   ``verify()``), writes one WebP rendition to ``media/assets/<asset id>/<purpose>.webp``,
   deletes the upload and marks the ticket READY with that ``media_key`` (or REJECTED with
   the reason).
3. A field may then be set to that ``media_key`` only, by the account that asked for the
   upload, for the purpose it asked for (``require_accepted``); anything else is a 422
   naming the field.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.catalog import media, repository
from chalicelib.catalog.domain import ASSET_PURPOSES, ImageStatus, UploadGrant, UploadTicket
from chalicelib.catalog.service import images
from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import ForbiddenError, NotFoundError, ValidationFailedError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings

UPLOAD_PREFIX = "uploads/assets/"
MEDIA_PREFIX = "media/assets/"
# The one rendition each purpose keeps: longest side in pixels (WebP).
RENDITION_SIDE = {"shop_logo": 512, "site_logo": 512, "site_banner": 1600}
_ROLE_OF = {"shop_logo": "seller", "site_logo": "admin", "site_banner": "admin"}


def upload_key(asset_id: str) -> str:
    return f"{UPLOAD_PREFIX}{asset_id}"


def media_key(asset_id: str, purpose: str) -> str:
    return f"{MEDIA_PREFIX}{asset_id}/{purpose}.webp"


def request_upload(
    caller: Caller, purpose: str, content_type: str, size: int | None
) -> UploadGrant:
    """A ticket and a pre-signed POST for one image for ``purpose``, owned by the caller."""
    if purpose not in ASSET_PURPOSES:
        raise ValueError(f"unknown asset purpose {purpose!r}")
    if not caller.has_role(_ROLE_OF[purpose]):
        raise ForbiddenError("Your role may not upload this", details={"purpose": purpose})
    settings = get_settings()
    if size is not None and size > settings.image_max_bytes:
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
    asset_id = new_id()
    key = upload_key(asset_id)
    repository.get().add_ticket(
        UploadTicket(
            image_id=asset_id,
            product_id="",
            shop_id="",
            key=key,
            content_type=content_type,
            status=ImageStatus.PENDING,
            created_at=clock.now(),
            purpose=purpose,
            owner_id=caller.account_id,
        )
    )
    grant = media.presigned_upload(
        key, content_type, max_bytes=settings.image_max_bytes, ttl=settings.image_upload_ttl_seconds
    )
    return replace(
        grant,
        image_id=asset_id,
        max_bytes=settings.image_max_bytes,
        expires_in=settings.image_upload_ttl_seconds,
    )


def get_asset(caller: Caller, asset_id: str) -> UploadTicket:
    """The caller's own upload (someone else's is not found, like an unknown one)."""
    ticket = repository.get().asset_ticket(asset_id)
    if ticket is None or ticket.owner_id != caller.account_id:
        raise NotFoundError("No such upload", details={"asset_id": asset_id})
    return ticket


def require_accepted(caller: Caller, key: str, *, purpose: str, field: str) -> None:
    """Raise ValidationFailedError (naming ``field``) unless ``key`` is the rendition of
    an upload the caller asked for, for ``purpose``, that the image pipeline accepted."""
    ticket = None
    rest = key.removeprefix(MEDIA_PREFIX)
    if rest != key and rest.count("/") == 1:
        ticket = repository.get().asset_ticket(rest.split("/", 1)[0])
    accepted = (
        ticket is not None
        and ticket.owner_id == caller.account_id
        and ticket.purpose == purpose
        and ticket.status is ImageStatus.READY
        and ticket.media_key == key
    )
    if not accepted:
        raise ValidationFailedError(
            f"Invalid request: {field}",
            details=[
                {
                    "field": field,
                    "message": "must be the media_key of an image you uploaded for "
                    f"{purpose} and that was accepted (READY)",
                    "type": "not_an_accepted_upload",
                }
            ],
        )


# ---------- processing (the S3-triggered function) ----------
def process_upload(bucket: str, key: str, size: int | None = None) -> dict[str, Any]:
    """Validate one uploaded asset and keep its rendition, or reject it (idempotent)."""
    settings = get_settings()
    asset_id = key.removeprefix(UPLOAD_PREFIX)
    if bucket != settings.media_bucket or asset_id == key or not asset_id or "/" in asset_id:
        return {"status": "ignored", "key": key}
    repo = repository.get()
    ticket = repo.asset_ticket(asset_id)
    if ticket is None:
        media.delete(key)
        logger.warning("Deleted an upload nobody asked for", extra={"key": key})
        return {"status": "unknown", "key": key}
    if ticket.status in (ImageStatus.READY, ImageStatus.REJECTED) or not repo.claim_ticket(
        ticket, now=clock.now(), lease=images.CLAIM_LEASE
    ):
        return {"status": ticket.status.value, "asset_id": asset_id}
    try:
        if size is not None and size > settings.image_max_bytes:
            raise images.ImageRejectedError(
                f"too large: {size} bytes (limit {settings.image_max_bytes})"
            )
        data = media.read_at_most(key, settings.image_max_bytes)
        if len(data) > settings.image_max_bytes:
            raise images.ImageRejectedError(
                f"too large: more than {settings.image_max_bytes} bytes"
            )
        image = images.inspect_image(data, max_pixels=settings.image_max_pixels)
        real_type = images.ALLOWED_FORMATS[str(image.format)]
        if real_type != ticket.content_type:
            raise images.ImageRejectedError(
                f"content is {real_type} but the upload was declared {ticket.content_type}"
            )
        kept = media_key(asset_id, ticket.purpose)
        side = RENDITION_SIDE.get(ticket.purpose, 512)
        media.put(kept, images.render(image, side, "WEBP"), "image/webp")
    except images.ImageRejectedError as rejected:
        media.delete(key)
        repo.finish_ticket(ticket, ImageStatus.REJECTED, rejected.reason, now=clock.now())
        logger.info("Asset rejected", extra={"key": key, "reason": rejected.reason})
        return {
            "status": ImageStatus.REJECTED.value,
            "asset_id": asset_id,
            "reason": rejected.reason,
        }
    media.delete(key)
    repo.finish_ticket(ticket, ImageStatus.READY, None, now=clock.now(), media_key=kept)
    return {"status": ImageStatus.READY.value, "asset_id": asset_id, "media_key": kept}
