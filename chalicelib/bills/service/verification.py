"""The verification pipeline: an uploaded bill → checks → VERIFIED / REJECTED / NEEDS_REVIEW.

S3 notifies the bills queue when a bill lands; ``functions/bill_verify.py`` calls
``verify_upload`` per object. Each run:
1. moves the post UPLOADING/FAILED → PROCESSING (a post already decided is left alone, so
   a notification delivered twice changes nothing);
2. reads at most the byte limit and checks the image with the catalog's media validation
   (real format JPEG/PNG by content, pixel limit from the header: bombs cost nothing) —
   a refused file ends REJECTED with the reason;
3. OCR (``ocr.reader()``: local rapidocr or Textract) with the shop's name as the known
   vendor; the authenticity model (ONNX from the models bucket, cached per container);
   the perceptual hash looked up in the hash-band index (four Queries, no Scan);
4. the checks decide (``checks.run_checks``); the reasons and scores go on the post; a
   verified bill gets a public derivative without EXIF; ``post.status_changed`` is published.
Any failure in 3 leaves the post FAILED with the error's name (admins list FAILED posts and
retry them) and re-raises, so SQS retries and, after the last try, keeps it in the DLQ.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from chalicelib.bills import ocr, repository, storage
from chalicelib.bills.domain import Extraction, Post, PostStatus, Verdict
from chalicelib.bills.events import PostStatusChanged
from chalicelib.bills.service import checks
from chalicelib.catalog.service import images as catalog_images
from chalicelib.catalog.service import shops as catalog_shops
from chalicelib.core import clock, events
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.bills.authenticity import Scored  # the ML layer: imported where used

ALLOWED = {"JPEG", "PNG"}
MIN_SIDE = 64  # pixels: smaller cannot be read (and the forensics need whole 8x8 blocks)
STARTABLE = (PostStatus.UPLOADING, PostStatus.PROCESSING, PostStatus.FAILED)


def _now() -> str:
    return clock.iso(clock.now())


def _move(post: Post, new: Post, *, expected: tuple[PostStatus, ...]) -> Post | None:
    stored = repository.get().transition(replace(new, updated_at=_now()), expected=expected)
    if stored is not None and stored.status is not post.status:
        events.publish(PostStatusChanged.of(stored, post.status), best_effort=True)
    return stored


def verify_upload(key: str) -> dict[str, Any]:
    """Verify the bill stored under ``key`` (idempotent per post)."""
    post_id = storage.post_of_key(key)
    if post_id is None:
        return {"status": "ignored", "key": key}
    return verify_post(post_id)


def verify_post(post_id: str) -> dict[str, Any]:
    post = repository.get().post(post_id)
    if post is None:
        return {"status": "ignored", "post_id": post_id}
    if post.status not in STARTABLE:
        return {"status": post.status.value, "post_id": post_id, "repeated": True}
    started = _move(
        post,
        replace(post, status=PostStatus.PROCESSING, attempts=post.attempts + 1, reason=None),
        expected=STARTABLE,
    )
    if started is None:
        return {"status": "moved", "post_id": post_id}
    try:
        decided = _decide(started)
    except Exception as error:
        logger.exception("bill verification failed", extra={"post_id": post_id})
        _move(
            started,
            replace(
                started, status=PostStatus.FAILED, reason=f"{type(error).__name__}: {error}"[:300]
            ),
            expected=(PostStatus.PROCESSING,),
        )
        raise
    return {"status": decided.status.value, "post_id": post_id}


def _reject(post: Post, reason: str) -> Post:
    stored = _move(
        post,
        replace(post, status=PostStatus.REJECTED, reason=reason),
        expected=(PostStatus.PROCESSING,),
    )
    return stored or post


def verdict_of(
    extraction: Extraction,
    scored: Scored,
    card_threshold: float,
    *,
    duplicate_of: str | None,
    shop_name: str | None,
    today: date,
) -> Verdict:
    """The checks' verdict on a read and scored bill, with the settings' thresholds (the
    edit threshold on the model's card unless ``bills_verify_below`` sets one)."""
    settings = get_settings()
    threshold = settings.bills_verify_below or card_threshold
    return checks.run_checks(
        extraction,
        edit_probability=scored.probability,
        edit_threshold=threshold,
        reject_above=max(settings.bills_reject_above, threshold),
        resave_blind_probability=scored.second_probability,
        duplicate_of=duplicate_of,
        shop_name=shop_name,
        today=today,
        max_age_days=settings.bills_max_age_days,
        min_confidence=settings.bills_min_ocr_confidence,
    )


def _decide(post: Post) -> Post:
    settings = get_settings()
    data = storage.read_at_most(post.bill_key, settings.bills_max_bytes)
    if len(data) > settings.bills_max_bytes:
        return _reject(post, f"file too large: more than {settings.bills_max_bytes} bytes")
    try:
        image = catalog_images.inspect_image(data, max_pixels=settings.bills_max_pixels)
    except catalog_images.ImageRejectedError as error:
        return _reject(post, error.reason)
    if image.format not in ALLOWED:
        return _reject(post, f"image format {image.format} is not allowed (JPEG or PNG)")
    if min(image.size) < MIN_SIDE:
        width, height = image.size
        return _reject(
            post, f"image too small: {width}x{height} pixels (at least {MIN_SIDE} on each side)"
        )

    from chalicelib.bills import authenticity, forensics  # the ML layer

    model = authenticity.model(settings.bills_model_version)
    blind_version = settings.bills_reject_model_version
    resave_blind = authenticity.model(blind_version) if blind_version else None
    shop = catalog_shops.get_shop(post.shop_id) if post.shop_id else None
    reader = ocr.reader(ocr.reader_model(settings.bills_reader_version))
    extraction = reader.read(data, known_shops=[shop.name] if shop else [])
    scored = authenticity.score(model, data, resave_blind)
    phash = forensics.perceptual_hash(data)
    duplicate_of = next(
        (
            other
            for other, value in repository.get().similar_hashes(phash)
            if other != post.post_id
            and checks.hamming(value, phash) <= settings.bills_duplicate_bits
        ),
        None,
    )
    repository.get().remember_hash(post.post_id, phash)
    verdict = verdict_of(
        extraction,
        scored,
        float(model.card["threshold"]),
        duplicate_of=duplicate_of,
        shop_name=shop.name if shop else None,
        today=clock.now().date(),
    )
    public_key = None
    now = _now()
    if verdict.status is PostStatus.VERIFIED:
        public_key = f"{storage.PUBLIC_PREFIX}{post.post_id}.jpg"
        storage.put_public(public_key, _derivative(image))
    decided = replace(
        post,
        status=verdict.status,
        extraction=extraction,
        checks=verdict.checks,
        edit_probability=round(scored.probability, 4),
        phash=f"{phash:016x}",
        duplicate_of=duplicate_of,
        reason=verdict.reason,
        verified_at=now if verdict.status is PostStatus.VERIFIED else None,
        public_key=public_key,
    )
    return _move(post, decided, expected=(PostStatus.PROCESSING,)) or post


def _derivative(image: Any) -> bytes:
    """A JPEG of the pixels only (at most 1600 px): no EXIF, so no location."""
    return catalog_images.render(image, 1600, "JPEG")
