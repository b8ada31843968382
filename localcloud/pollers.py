"""SQS event source mappings: poll a queue, invoke the function, delete what succeeded.

As Lambda does: batches up to BatchSize (10 per receive), the SQS event shape, partial
batch failures with ``ReportBatchItemFailures``, and a thrown handler error leaves the
whole batch to come back after the visibility timeout. Redrive to the DLQ after
``maxReceiveCount`` receives is SQS's own (moto implements it).
"""

from __future__ import annotations

import threading
from typing import Any

from localcloud.deploy import QueueSource
from localcloud.lambdas import LambdaRuntime


def sqs_event(messages: list[dict[str, Any]], source: QueueSource, region: str) -> dict[str, Any]:
    """The event Lambda passes for a batch of SQS messages."""
    records = []
    for message in messages:
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": source.queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


class QueuePoller:
    """One event source mapping, polled on its own thread."""

    def __init__(
        self,
        source: QueueSource,
        runtime: LambdaRuntime,
        sqs: Any,
        *,
        wait_seconds: int,
        fast_retry: bool,
    ) -> None:
        self.source = source
        self.runtime = runtime
        self.sqs = sqs
        self.wait_seconds = wait_seconds
        self.fast_retry = fast_retry
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"sqs:{source.function}", daemon=True
        )
        self.batches = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - a poller must survive a bad batch or a restart
                if self._stop.wait(0.5):
                    return

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many messages it held."""
        received = self.sqs.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=min(self.source.batch_size, 10),
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            return 0
        self.batches += 1
        result = self.runtime.invoke(
            self.source.function, sqs_event(messages, self.source, self.runtime.region)
        )
        failed_ids: set[str] = set()
        if result.failed:
            failed_ids = {message["MessageId"] for message in messages}
        elif self.source.report_batch_item_failures and isinstance(result.payload, dict):
            failures = result.payload.get("batchItemFailures") or []
            failed_ids = {item["itemIdentifier"] for item in failures}
        done = [m for m in messages if m["MessageId"] not in failed_ids]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        if self.fast_retry:
            retry = [m for m in messages if m["MessageId"] in failed_ids]
            if retry:
                self.sqs.change_message_visibility_batch(
                    QueueUrl=self.source.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                        for i, m in enumerate(retry)
                    ],
                )
        return len(messages)
