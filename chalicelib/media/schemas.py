"""What media receives: S3 event notifications, delivered through SQS.

Powertools' S3 parser models, with the fields moto (the local cloud) and LocalStack leave
out of their notifications made optional: ``userIdentity``, ``requestParameters``,
``responseElements`` and the bucket's ``ownerIdentity``. Nothing here reads them.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.models.s3 import (
    S3Bucket,
    S3Identity,
    S3Message,
    S3Model,
    S3OwnerIdentify,
    S3RecordModel,
    S3RequestParameters,
    S3ResponseElements,
)
from pydantic import BaseModel, Json

from chalicelib.media.domain import Upload


class NotifiedBucket(S3Bucket):
    ownerIdentity: S3OwnerIdentify | None = None  # type: ignore[assignment]


class NotifiedMessage(S3Message):
    bucket: NotifiedBucket


class S3Notification(S3RecordModel):
    """One S3 event record (``ObjectCreated:*`` for the media bucket)."""

    userIdentity: S3Identity | None = None  # type: ignore[assignment]
    requestParameters: S3RequestParameters | None = None  # type: ignore[assignment]
    responseElements: S3ResponseElements | None = None  # type: ignore[assignment]
    s3: NotifiedMessage

    def upload(self) -> Upload:
        """The object version this record is about (S3 sends keys ``quote_plus``-encoded).

        Raises ValueError for a record without an object.
        """
        obj = self.s3.object
        if obj is None:
            raise ValueError(f"{self.eventName} notification names no object")
        return Upload(
            bucket=self.s3.bucket.name,
            key=unquote_plus(obj.key),
            sequencer=obj.sequencer or obj.eTag or "",
        )


class S3Notifications(S3Model):
    """The body of one notification message: its records."""

    Records: list[S3Notification]  # type: ignore[assignment]

    def uploads(self) -> list[Upload]:
        return [record.upload() for record in self.Records]


class S3TestEvent(BaseModel):
    """What S3 sends first when notifications are set up on a bucket."""

    Event: Literal["s3:TestEvent"]
    Service: str | None = None
    Bucket: str | None = None
    Time: str | None = None


class S3NotificationRecord(SqsRecordModel):
    """An SQS record whose body is an S3 notification (or S3's test event).

    Consumers take it through
    ``BatchProcessor(event_type=EventType.SQS, model=S3NotificationRecord)``.
    """

    body: Json[S3Notifications | S3TestEvent]
