"""Typed consumer records: what the parser models read from SQS, and idempotency keys
that still mean what they meant when handlers read raw JSON."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.base import _prepare_data
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from pydantic import ValidationError

from chalicelib.core.events import BusRecord
from chalicelib.media.domain import Upload
from chalicelib.media.schemas import S3NotificationRecord, S3Notifications, S3TestEvent
from tests.fixtures.aws import load_event


class KeyOnly(BasePersistenceLayer):
    """Powertools' key derivation without a table."""

    def _get_record(self, idempotency_key: str) -> Any:
        raise NotImplementedError

    def _put_record(self, data_record: Any) -> None:
        raise NotImplementedError

    def _update_record(self, data_record: Any) -> None:
        raise NotImplementedError

    def _delete_record(self, data_record: Any) -> None:
        raise NotImplementedError


def idempotency_key(key_jmespath: str, payload: Any) -> str:
    layer = KeyOnly()
    layer.configure(IdempotencyConfig(event_key_jmespath=key_jmespath), function_name="f")
    key = layer._get_hashed_idempotency_key(_prepare_data(payload))
    assert key is not None
    return key


def sqs_record(sample: str, body: Any = None) -> dict[str, Any]:
    record: dict[str, Any] = copy.deepcopy(load_event(sample)["Records"][0])
    if body is not None:
        record["body"] = body if isinstance(body, str) else json.dumps(body)
    return record


# ---------- bus records ----------
def test_a_bus_record_reads_the_envelope_and_the_typed_event() -> None:
    # Given the order-emails sample (an order.paid from the bus, through SQS)
    raw = sqs_record("order_emails_sqs.json")
    # When it is parsed
    record = BusRecord.model_validate(raw)
    # Then the envelope and the event are typed
    body = json.loads(raw["body"])
    assert record.body.detail_type == "order.paid"
    assert record.body.detail.metadata.event_id == body["detail"]["metadata"]["event_id"]
    assert record.body.detail.data == body["detail"]["data"]


def test_a_bus_record_as_moto_delivers_it_has_no_account() -> None:
    # Given a body as the local cloud's EventBridge → SQS delivers it (no "account")
    body = load_event("bus/order.paid.json")
    body.pop("account", None)
    # When it is parsed; Then it is accepted
    assert BusRecord.model_validate(sqs_record("order_emails_sqs.json", body)).body.account == ""


def test_a_bus_record_needs_only_what_consumers_read() -> None:
    # Given an envelope with only id, source, detail-type, time and detail (what the event
    # archive always required)
    full = load_event("bus/media.uploaded.json")
    body = {key: full[key] for key in ("id", "source", "detail-type", "time", "detail")}
    # When it is parsed; Then it is accepted
    record = BusRecord.model_validate(sqs_record("event_archive_sqs.json", body))
    assert record.body.event_id == full["detail"]["metadata"]["event_id"]


def test_a_body_that_is_not_a_bus_event_is_refused() -> None:
    for body in ("not json at all", {"hello": "world"}):
        with pytest.raises(ValidationError):
            BusRecord.model_validate(sqs_record("event_archive_sqs.json", body))


def test_the_order_email_key_is_the_one_the_raw_envelope_gave() -> None:
    from functions.order_emails import EMAIL_KEY, email_once

    # Given an order.paid message, and the same event re-published under new ids
    raw = sqs_record("order_emails_sqs.json")
    again = json.loads(raw["body"])
    again["id"] = str(uuid.uuid4())
    again["detail"]["metadata"]["event_id"] = str(uuid.uuid4())
    # When the key is derived from the parsed event
    key = idempotency_key(EMAIL_KEY, BusRecord.model_validate(raw).body)
    # Then it equals the key the handler derived from the raw JSON before it was typed,
    assert key == idempotency_key('["detail-type", detail.data.order_id]', json.loads(raw["body"]))
    # the re-published event has the same key, and another outcome of the order does not
    assert key == idempotency_key(
        EMAIL_KEY, BusRecord.model_validate(sqs_record("order_emails_sqs.json", again)).body
    )
    cancelled = json.loads(raw["body"]) | {"detail-type": "order.cancelled"}
    assert key != idempotency_key(
        EMAIL_KEY, BusRecord.model_validate(sqs_record("order_emails_sqs.json", cancelled)).body
    )
    # and the records are stored under the same function name as before
    function = email_once.__wrapped__  # type: ignore[attr-defined]
    assert f"{function.__module__}.{function.__qualname__}" == "functions.order_emails.email_once"


# ---------- S3 notifications ----------
def test_an_s3_notification_as_moto_sends_it_names_the_upload() -> None:
    # Given the media-uploaded sample (moto's shape: no userIdentity, no ownerIdentity)
    record = S3NotificationRecord.model_validate(sqs_record("media_uploaded_sqs.json"))
    # Then it reads as one upload, its key decoded from S3's quote_plus form
    assert isinstance(record.body, S3Notifications)
    assert record.body.uploads() == [
        Upload(
            bucket="bazaar-local-media-123456789012",
            key="uploads/products/p-1/photo 1.png",
            sequencer="0062E99A88DC407460",
        )
    ]


def test_an_s3_notification_as_aws_sends_it_names_the_upload() -> None:
    # Given a notification with everything AWS adds, and no sequencer
    body = json.loads(sqs_record("media_uploaded_sqs.json")["body"])
    s3_record = body["Records"][0]
    s3_record["userIdentity"] = {"principalId": "AWS:AIDAJEXAMPLE"}
    s3_record["requestParameters"] = {"sourceIPAddress": "203.0.113.7"}
    s3_record["responseElements"] = {"x-amz-request-id": "C3D1", "x-amz-id-2": "FMyU"}
    s3_record["s3"]["bucket"]["ownerIdentity"] = {"principalId": "A3I5XTEXAMAI3E"}
    del s3_record["s3"]["object"]["sequencer"]
    record = S3NotificationRecord.model_validate(sqs_record("media_uploaded_sqs.json", body))
    # Then it reads the same way; the ETag tells versions apart when there is no sequencer
    assert isinstance(record.body, S3Notifications)
    (upload,) = record.body.uploads()
    assert upload.sequencer == "9b2cf535f27731c974343645a3985328"


def test_s3s_test_event_is_its_own_kind_of_message() -> None:
    for body in (
        {"Event": "s3:TestEvent"},
        {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026", "Bucket": "b"},
    ):
        record = S3NotificationRecord.model_validate(sqs_record("media_uploaded_sqs.json", body))
        assert isinstance(record.body, S3TestEvent)


def test_the_media_consumer_skips_the_test_event_and_announces_each_upload(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions import media_uploaded

    announced: list[Upload] = []
    monkeypatch.setattr(
        media_uploaded.service, "announce_upload", lambda upload: announced.append(upload)
    )
    test_event = S3NotificationRecord.model_validate(
        sqs_record("media_uploaded_sqs.json", {"Event": "s3:TestEvent"})
    )
    assert media_uploaded.announce_record(test_event) == 0
    assert announced == []
    upload = S3NotificationRecord.model_validate(sqs_record("media_uploaded_sqs.json"))
    assert media_uploaded.announce_record(upload) == 1
    assert [a.key for a in announced] == ["uploads/products/p-1/photo 1.png"]


def test_the_upload_key_is_the_one_the_raw_dict_gave() -> None:
    from chalicelib.media.service import UPLOAD_KEY, announce_upload

    upload = Upload(bucket="b", key="uploads/products/p-1/photo 1.png", sequencer="0062E9")
    assert idempotency_key(UPLOAD_KEY, upload) == idempotency_key(
        "[bucket, key, sequencer]",
        {"bucket": "b", "key": "uploads/products/p-1/photo 1.png", "sequencer": "0062E9"},
    )
    function = announce_upload.__wrapped__  # type: ignore[attr-defined]
    assert f"{function.__module__}.{function.__qualname__}" == (
        "chalicelib.media.service.announce_upload"
    )
