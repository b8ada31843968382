"""The media bucket, in domain terms (the only module of media that calls S3).

``get()`` is the S3 store; tests swap in the in-memory fake with ``use(fake)``
(``tests/fakes/media.py``).
"""

from __future__ import annotations

from typing import Protocol

from botocore.exceptions import ClientError

from chalicelib.core import aws
from chalicelib.media.domain import StoredObject
from chalicelib.media.errors import UploadNotFoundError

MISSING = {"404", "NoSuchKey", "NotFound"}


class MediaStore(Protocol):
    """Objects in the media bucket."""

    def describe(self, bucket: str, key: str) -> StoredObject:
        """Size, ETag and content type of an object; UploadNotFoundError if it is absent."""


class S3MediaStore:
    """S3 (``HeadObject``)."""

    def describe(self, bucket: str, key: str) -> StoredObject:
        try:
            head = aws.client("s3").head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                raise UploadNotFoundError(f"No object {key!r} in {bucket!r}") from error
            raise
        return StoredObject(
            size=int(head["ContentLength"]),
            etag=str(head["ETag"]).strip('"'),
            content_type=head.get("ContentType"),
        )


_store: MediaStore | None = None


def get() -> MediaStore:
    """The store services use (S3 unless a test swapped it)."""
    global _store
    if _store is None:
        _store = S3MediaStore()
    return _store


def use(store: MediaStore | None) -> None:
    """Swap the store (tests: the in-memory fake); None goes back to S3."""
    global _store
    _store = store
