"""Reacting to uploads in the media bucket."""

from __future__ import annotations

from typing import Any

from chalicelib.core import events, idempotency
from chalicelib.media import repository
from chalicelib.media.domain import Upload
from chalicelib.media.events import MediaUploaded

UPLOAD_KEY = "[bucket, key, sequencer]"  # one announcement per object version


@idempotency.once(UPLOAD_KEY, data_keyword_argument="upload")
def announce_upload(upload: Upload) -> dict[str, Any]:
    """Publish ``media.uploaded`` once per object version (S3 may notify twice).

    Raises UploadNotFoundError if the object is not (or no longer) in the bucket.
    """
    stored = repository.get().describe(upload.bucket, upload.key)
    (event_id,) = events.publish(MediaUploaded.of(upload, stored))
    return {"event_id": event_id, "key": upload.key}
