"""The bills bucket (private): pre-signed uploads and reads, the public derivative.

Bills are read only through short-lived pre-signed GET URLs handed to the shopper who
posted, the shop's staff and admins. A verified bill gets a public derivative under
``public/``: re-encoded from pixels only, so no EXIF (location, device) survives.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.core import aws
from chalicelib.core.settings import get_settings

READ_TTL_SECONDS = 300
UPLOAD_PREFIX = "bills/"
PUBLIC_PREFIX = "public/"


@dataclass(frozen=True)
class UploadGrant:
    """A pre-signed POST: send ``fields`` and then the file as multipart form data."""

    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


def bucket() -> str:
    return get_settings().bills_bucket


def bill_key(post_id: str) -> str:
    return f"{UPLOAD_PREFIX}{post_id}/bill"


def post_of_key(key: str) -> str | None:
    parts = key.split("/")
    if len(parts) == 3 and parts[0] + "/" == UPLOAD_PREFIX and parts[2] == "bill" and parts[1]:
        return parts[1]
    return None


def presigned_upload(key: str, content_type: str) -> UploadGrant:
    settings = get_settings()
    post = aws.client("s3").generate_presigned_post(
        Bucket=bucket(),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", 1, settings.bills_max_bytes],
        ],
        ExpiresIn=settings.bills_upload_ttl_seconds,
    )
    return UploadGrant(
        key=key,
        url=post["url"],
        fields=dict(post["fields"]),
        max_bytes=settings.bills_max_bytes,
        expires_in=settings.bills_upload_ttl_seconds,
    )


def read_at_most(key: str, limit: int) -> bytes:
    """The object's first ``limit + 1`` bytes (one more than allowed shows it is too big)."""
    body = aws.client("s3").get_object(Bucket=bucket(), Key=key)["Body"]
    data: bytes = body.read(limit + 1)
    body.close()
    return data


def put_public(key: str, data: bytes) -> None:
    aws.client("s3").put_object(Bucket=bucket(), Key=key, Body=data, ContentType="image/jpeg")


def read_url(key: str) -> str:
    url: str = aws.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket(), "Key": key}, ExpiresIn=READ_TTL_SECONDS
    )
    return url


def enqueue_retry(post_id: str) -> None:
    """Ask the verification function to run a post again (an admin's retry)."""
    import json

    aws.client("sqs").send_message(
        QueueUrl=get_settings().bills_queue_url, MessageBody=json.dumps({"retry_post": post_id})
    )
