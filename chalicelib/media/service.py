"""Reacting to uploads in the media bucket."""

from __future__ import annotations

from typing import Any

from chalicelib.core import aws, events, idempotency
from chalicelib.media.events import MediaUploaded


@idempotency.once("[bucket, key, sequencer]", data_keyword_argument="upload")
def announce_upload(upload: dict[str, Any]) -> dict[str, Any]:
    """Publish ``media.uploaded`` once per object version (S3 may notify twice)."""
    head = aws.client("s3").head_object(Bucket=upload["bucket"], Key=upload["key"])
    event = MediaUploaded(
        bucket=upload["bucket"],
        key=upload["key"],
        size=int(head["ContentLength"]),
        etag=str(head["ETag"]).strip('"'),
        content_type=head.get("ContentType"),
    )
    (event_id,) = events.publish(event)
    return {"event_id": event_id, "key": upload["key"]}
