"""The media bucket, as the catalog uses it: pre-signed uploads and reads, renditions.

The bucket is private: clients upload with a pre-signed POST whose policy pins the key,
the content type and a byte-size range, and read through time-limited GET URLs.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.catalog.domain import UploadGrant
from chalicelib.core import aws
from chalicelib.core.settings import get_settings

URL_TTL_SECONDS = 3600


def bucket() -> str:
    return get_settings().media_bucket


def presigned_upload(key: str, content_type: str, *, max_bytes: int, ttl: int) -> UploadGrant:
    """A pre-signed POST for one object of ``content_type`` and 1 to ``max_bytes`` bytes."""
    post = aws.client("s3").generate_presigned_post(
        Bucket=bucket(),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=ttl,
    )
    return UploadGrant(key=key, url=post["url"], fields=dict(post["fields"]))


def read_at_most(key: str, limit: int) -> bytes:
    """The object's first ``limit + 1`` bytes (one more than allowed shows it is too big)."""
    body = aws.client("s3").get_object(Bucket=bucket(), Key=key)["Body"]
    data: bytes = body.read(limit + 1)
    body.close()
    return data


def read_if_present(key: str, limit: int) -> bytes | None:
    """Like ``read_at_most``; None when there is no object under ``key``."""
    try:
        return read_at_most(key, limit)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise


def put(key: str, data: bytes, content_type: str) -> None:
    """Store an immutable rendition (cached for a year by browsers and CDNs)."""
    aws.client("s3").put_object(
        Bucket=bucket(),
        Key=key,
        Body=data,
        ContentType=content_type,
        CacheControl="public, max-age=31536000, immutable",
    )


def delete(key: str) -> None:
    aws.client("s3").delete_object(Bucket=bucket(), Key=key)


def delete_under(prefix: str, *, first_parts: list[str] | None = None) -> int:
    """Delete the objects under ``prefix`` (only those whose next path part is one of
    ``first_parts``, when given); returns how many went."""
    s3 = aws.client("s3")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket(), Prefix=prefix):
        for item in page.get("Contents", []):
            part = item["Key"][len(prefix) :].split("/", 1)[0]
            if first_parts is None or part in first_parts:
                keys.append(item["Key"])
    for start in range(0, len(keys), 1000):
        s3.delete_objects(
            Bucket=bucket(),
            Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]]},
        )
    return len(keys)


def url_for(key: str | None) -> str | None:
    """A time-limited GET URL for a media key (None for no key)."""
    if not key:
        return None
    url: str = aws.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket(), "Key": key}, ExpiresIn=URL_TTL_SECONDS
    )
    return url
