"""Events of the media capability."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.events import DomainEvent


class MediaUploaded(DomainEvent):
    """An object landed in the media bucket (before any capability-specific checks)."""

    name = "media.uploaded"
    source = "bazaar.media"

    bucket: str
    key: str
    size: int = Field(ge=0)
    etag: str
    content_type: str | None = None
