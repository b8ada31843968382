"""In-memory twin of the media bucket."""

from __future__ import annotations

from chalicelib.media.domain import StoredObject
from chalicelib.media.errors import UploadNotFoundError


class InMemoryMediaStore:
    """Objects by (bucket, key) (same contract as the S3 store)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], StoredObject] = {}

    def put(self, bucket: str, key: str, stored: StoredObject) -> None:
        self.objects[(bucket, key)] = stored

    def describe(self, bucket: str, key: str) -> StoredObject:
        try:
            return self.objects[(bucket, key)]
        except KeyError:
            raise UploadNotFoundError(f"No object {key!r} in {bucket!r}") from None
