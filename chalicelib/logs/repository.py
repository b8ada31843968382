"""The logs table in domain terms (the only module that knows its keys), and the queue
that carries received batches to the consumer.

``get()``/``use()`` swap the repository, ``queue()``/``use_queue()`` the queue (tests: the
fakes in ``tests/fakes/logs.py``; the repository fake passes the same contract tests).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pynamodb.exceptions import PutError

from chalicelib.core import aws, clock
from chalicelib.core.dynamo import condition_failed
from chalicelib.core.errors import DependencyUnavailableError
from chalicelib.core.settings import get_settings
from chalicelib.logs import models as m
from chalicelib.logs.domain import Level, LogBatch, LogEntry, Subscriber


class LogsRepository(Protocol):
    def store(self, batch: LogBatch, *, expires_at: datetime) -> None:
        """Write the batch's entries (writing them again is harmless: same keys)."""
        ...

    def first_stream(self, batch_id: str, *, expires_at: datetime) -> bool:
        """True the first time a batch is announced for streaming, False after."""
        ...

    def entries(
        self, since: datetime, until: datetime, *, levels: frozenset[Level] | None, limit: int
    ) -> Iterator[LogEntry]:
        """Entries received in [since, until], oldest first, of ``levels`` (all if None),
        at most ``limit``."""
        ...

    def subscribe(self, subscriber: Subscriber, *, expires_at: datetime) -> None: ...

    def unsubscribe(self, connection_id: str) -> None: ...

    def subscribers(self) -> list[Subscriber]: ...

    def count_request(self, client: str, window: str, *, expires_at: datetime) -> int:
        """Count one more request of ``client`` in ``window``; the count so far."""
        ...


def hour_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _entry(item: m.LogEntryItem) -> LogEntry:
    return LogEntry(
        entry_id=item.sk,
        level=Level(item.level),
        message=item.message,
        received_at=item.received_at,
        context=json.loads(item.context) if item.context else {},
        client_time=item.client_time,
        app_version=item.app_version,
        account_id=item.account_id,
        source_ip=item.source_ip,
    )


class DynamoLogs:
    def store(self, batch: LogBatch, *, expires_at: datetime) -> None:
        with m.LogEntryItem.batch_write() as writer:
            for entry in batch.entries:
                writer.save(
                    m.LogEntryItem(
                        pk=m.bucket_pk(hour_of(entry.received_at)),
                        sk=entry.entry_id,
                        level=str(entry.level),
                        message=entry.message,
                        context=json.dumps(entry.context, separators=(",", ":")),
                        client_time=entry.client_time,
                        received_at=entry.received_at,
                        app_version=entry.app_version,
                        account_id=entry.account_id,
                        source_ip=entry.source_ip,
                        expires_at=expires_at,
                    )
                )

    def first_stream(self, batch_id: str, *, expires_at: datetime) -> bool:
        try:
            m.BatchReceipt(pk=f"BATCH#{batch_id}", expires_at=expires_at).save(
                condition=m.BatchReceipt.pk.does_not_exist()
            )
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def entries(
        self, since: datetime, until: datetime, *, levels: frozenset[Level] | None, limit: int
    ) -> Iterator[LogEntry]:
        hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        left = limit
        sort_range = m.LogEntryItem.sk.between(clock.iso(since), clock.iso(until) + "~")
        level_filter = (
            m.LogEntryItem.level.is_in(*sorted(str(level) for level in levels)) if levels else None
        )
        while hour <= until and left > 0:
            for item in m.LogEntryItem.query(
                m.bucket_pk(hour_of(hour)), sort_range, filter_condition=level_filter
            ):
                yield _entry(item)
                left -= 1
                if left <= 0:
                    return
            hour += timedelta(hours=1)

    def subscribe(self, subscriber: Subscriber, *, expires_at: datetime) -> None:
        m.SubscriberItem(
            sk=subscriber.connection_id,
            account_id=subscriber.account_id,
            levels={str(level) for level in subscriber.levels},
            expires_at=expires_at,
        ).save()

    def unsubscribe(self, connection_id: str) -> None:
        m.SubscriberItem(pk=m.SUBSCRIBERS, sk=connection_id).delete()

    def subscribers(self) -> list[Subscriber]:
        now = clock.now()
        return [
            Subscriber(
                connection_id=item.sk,
                account_id=item.account_id,
                levels=frozenset(Level(level) for level in item.levels or ()),
            )
            for item in m.SubscriberItem.query(m.SUBSCRIBERS)
            if item.expires_at > now  # TTL deletes lazily
        ]

    def count_request(self, client: str, window: str, *, expires_at: datetime) -> int:
        item = m.RateWindow(pk=f"RATE#{client}", sk=window)
        item.update(actions=[m.RateWindow.hits.add(1), m.RateWindow.expires_at.set(expires_at)])
        return int(item.hits)


class LogQueue(Protocol):
    def send(self, body: dict[str, Any]) -> None:
        """Queue one received batch; DependencyUnavailableError if the queue refuses."""
        ...


class SqsLogQueue:
    """The client-logs queue (``BAZAAR_CLIENT_LOGS_QUEUE_URL``)."""

    def send(self, body: dict[str, Any]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        url = get_settings().client_logs_queue_url
        if not url:
            raise DependencyUnavailableError("Client logs are not configured here")
        try:
            aws.client("sqs").send_message(
                QueueUrl=url, MessageBody=json.dumps(body, separators=(",", ":"))
            )
        except (BotoCoreError, ClientError):
            raise DependencyUnavailableError("Could not queue the logs; try again") from None


_repository: LogsRepository | None = None
_queue: LogQueue | None = None


def get() -> LogsRepository:
    global _repository
    if _repository is None:
        _repository = DynamoLogs()
    return _repository


def use(repository: LogsRepository | None) -> None:
    global _repository
    _repository = repository


def queue() -> LogQueue:
    global _queue
    if _queue is None:
        _queue = SqsLogQueue()
    return _queue


def use_queue(log_queue: LogQueue | None) -> None:
    global _queue
    _queue = log_queue
