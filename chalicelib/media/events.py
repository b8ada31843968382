"""Events of the media capability."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.events import DomainEvent
from chalicelib.media.domain import StoredObject, Upload


class MediaUploaded(DomainEvent):
    """An object landed in the media bucket (before any capability-specific checks)."""

    name = "media.uploaded"
    source = "bazaar.media"

    bucket: str
    key: str
    size: int = Field(ge=0)
    etag: str
    content_type: str | None = None

    @classmethod
    def of(cls, upload: Upload, stored: StoredObject) -> MediaUploaded:
        """The event for an upload, with what the bucket says about the object."""
        return cls(
            bucket=upload.bucket,
            key=upload.key,
            size=stored.size,
            etag=stored.etag,
            content_type=stored.content_type,
        )
