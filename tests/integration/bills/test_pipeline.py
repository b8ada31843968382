"""The verification pipeline on moto: S3 → SQS → bill-verify, real OCR, the real ONNX model."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from chalicelib.bills.domain import PostStatus
from tests.integration.bills.conftest import BillWorld, receipt

GENUINE = "001"  # INDAH GIFT & HOME DECO, 19/10/2018, RM 60.30


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64, 9))
        + chunk(b"IEND", b"")
    )


def tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


def test_a_genuine_receipt_ends_verified_with_its_fields(world: BillWorld) -> None:
    # Given a shopper's post about a shop whose name the receipt prints
    shopper = world.person()
    _, shop = world.seller_with_shop("Indah Gift & Home Deco")
    post = world.post(shopper, shop_id=shop.shop_id)
    assert post.status is PostStatus.UPLOADING
    # When the genuine receipt is uploaded and the pipeline runs
    done = world.upload(post, receipt(GENUINE))
    # Then it is verified with its fields read, every check recorded, a public derivative
    assert done.status is PostStatus.VERIFIED, (done.reason, done.checks)
    assert done.extraction.company == "INDAH GIFT & HOME DECO"
    assert done.extraction.date == "2018-10-19"
    assert done.extraction.total == 6030
    assert done.extraction.currency == "MYR"
    assert all(check.passed for check in done.checks)
    assert done.public_key is not None
    public = world.s3.get_object(
        Bucket=world.deployment.physical["BillsBucket"], Key=done.public_key
    )
    image = Image.open(io.BytesIO(public["Body"].read()))
    assert not image.getexif()  # no EXIF (so no location) on anything public


def test_the_same_image_posted_twice_is_flagged(world: BillWorld) -> None:
    shopper, other = world.person(), world.person()
    first = world.upload(world.post(shopper), receipt(GENUINE))
    second = world.upload(world.post(other), receipt(GENUINE))
    assert first.duplicate_of is None
    assert second.duplicate_of == first.post_id
    assert second.status is not PostStatus.VERIFIED
    assert "not_duplicate" in (second.reason or "")


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        (b"%PDF-1.4 not an image at all", "image/jpeg", "not an image"),
        (bomb_png(), "image/png", "decompression bomb"),
        (tiny_png(), "image/png", "image too small: 8x8 pixels"),
    ],
)
def test_a_non_image_a_bomb_or_a_tiny_image_is_refused_with_a_reason(
    world: BillWorld, data: bytes, content_type: str, reason: str
) -> None:
    post = world.post(world.person(), content_type=content_type)
    done = world.upload(post, data, content_type)
    assert done.status is PostStatus.REJECTED
    assert reason in (done.reason or "")


def test_an_oversized_file_is_refused_with_a_reason(
    world: BillWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core.settings import reset_settings

    monkeypatch.setenv("BAZAAR_BILLS_MAX_BYTES", "50000")
    reset_settings()
    post = world.post(world.person())
    done = world.upload(post, receipt(GENUINE))  # ~86 KB: over the (lowered) limit
    assert done.status is PostStatus.REJECTED
    assert "too large" in (done.reason or "")


def test_a_failing_step_leaves_the_post_failed_for_an_admin_to_retry(
    world: BillWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.bills import authenticity
    from chalicelib.bills.service import posts
    from chalicelib.core import model_store

    # Given the models bucket lost the model (a broken deploy)
    monkeypatch.setenv("BAZAAR_BILLS_MODEL_VERSION", "v99")
    from chalicelib.core.settings import reset_settings

    reset_settings()
    authenticity.forget()
    model_store.forget_cache()
    post = world.post(world.person())
    # When the bill is verified, Then the post is FAILED with the error, not stuck
    failed = world.upload(post, receipt(GENUINE))
    assert failed.status is PostStatus.FAILED
    assert "NoSuchKey" in (failed.reason or "")
    admin = world.person("admin")
    listed = posts.for_review(admin.caller, PostStatus.FAILED, limit=10, cursor=None).items
    assert [p.post_id for p in listed] == [post.post_id]
    # And once the model is back, an admin's retry verifies it
    monkeypatch.delenv("BAZAAR_BILLS_MODEL_VERSION")
    reset_settings()
    posts.retry(admin.caller, post.post_id)
    world.pump("BillUploadsQueue", "bill-verify")
    from chalicelib.bills import repository

    again = repository.get().post(post.post_id)
    assert again is not None
    assert again.status is PostStatus.VERIFIED
    assert again.attempts >= 2


def year_changed(data: bytes) -> bytes:
    """001 with its year 2018 made 2028: the "2" of "2018" copied over its "1" (pixels of
    the same receipt, the commonest real forgery), saved again as JPEG."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.paste(image.crop((83, 366, 94, 388)), (100, 366))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def test_a_tampered_receipt_does_not_end_verified(world: BillWorld) -> None:
    # Given the genuine receipt with one digit of its date changed by copy-paste
    post = world.post(world.person())
    # When it is uploaded
    done = world.upload(post, year_changed(receipt(GENUINE)))
    # Then it is not verified, and the reasons name what failed, with scores
    assert done.extraction.date == "2028-10-19"
    assert done.status is not PostStatus.VERIFIED
    failed = {check.name: check for check in done.checks if not check.passed}
    assert "date_plausible" in failed
    assert "date_plausible" in (done.reason or "")
    assert done.edit_probability is not None


def test_a_genuine_receipt_saved_again_goes_to_review_not_rejection(world: BillWorld) -> None:
    # Given a held-out genuine receipt (never trained on) decoded and saved again at JPEG
    # quality 90: a second compression, no edit
    image = Image.open(io.BytesIO(receipt("059"))).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    post = world.post(world.person())
    # When it is uploaded
    done = world.upload(post, out.getvalue())
    # Then v7 alone would reject it (its edit probability is over the reject line), but the
    # re-save-blind model is not as sure: it goes to review, with both probabilities shown
    assert done.edit_probability is not None
    assert done.edit_probability >= 0.9
    assert done.status is PostStatus.NEEDS_REVIEW, (done.reason, done.checks)
    editing = next(check for check in done.checks if check.name == "no_signs_of_editing")
    assert "re-save-blind model" in editing.detail
