"""Media's domain values: an upload S3 told us about, and the object it left."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Upload:
    """One object version written to a bucket (``sequencer`` tells versions apart)."""

    bucket: str
    key: str
    sequencer: str


@dataclass(frozen=True)
class StoredObject:
    """What the bucket holds under a key."""

    size: int
    etag: str
    content_type: str | None = None
