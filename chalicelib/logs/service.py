"""Client-log use cases: take a batch (capped, rate limited), store it from the queue,
stream it live to subscribed admins, download a time range."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import (
    BadRequestError,
    ForbiddenError,
    PayloadTooLargeError,
    RateLimitedError,
    ValidationFailedError,
)
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.logs import repository
from chalicelib.logs.domain import Level, LogBatch, LogEntry, Subscriber
from chalicelib.logs.schemas import LogEntryIn, QueuedBatch, QueuedEntry
from chalicelib.realtime import service as realtime

BATCH_MAX_BYTES = 200_000  # an SQS message holds 256 KB
CSV_COLUMNS = [
    "id",
    "received_at",
    "client_time",
    "level",
    "message",
    "context",
    "app_version",
    "account_id",
    "source_ip",
]
Format = Literal["ndjson", "csv"]


def _check_caps(entries: list[LogEntryIn]) -> None:
    settings = get_settings()
    if len(entries) > settings.log_batch_max_entries:
        raise ValidationFailedError(
            f"At most {settings.log_batch_max_entries} entries per request",
            details={"limit": settings.log_batch_max_entries},
        )
    problems = []
    for n, entry in enumerate(entries):
        if len(entry.message) > settings.log_message_max_chars:
            problems.append({"field": f"entries.{n}.message", "type": "too_long"})
        context = json.dumps(entry.context, separators=(",", ":"), default=str)
        if len(context.encode()) > settings.log_context_max_bytes:
            problems.append({"field": f"entries.{n}.context", "type": "too_large"})
    if problems:
        raise ValidationFailedError(
            f"Entries over the limits (message ≤ {settings.log_message_max_chars} characters,"
            f" context ≤ {settings.log_context_max_bytes} bytes as JSON)",
            details=problems,
        )


def _rate_limit(client: str) -> None:
    now = clock.now()
    minute = now.replace(second=0, microsecond=0)
    count = repository.get().count_request(
        client, minute.strftime("%Y%m%d%H%M"), expires_at=minute + timedelta(minutes=5)
    )
    limit = get_settings().log_batches_per_minute
    if count > limit:
        retry_after = max(1, 60 - now.second)
        raise RateLimitedError(
            f"At most {limit} log batches a minute; try again in {retry_after} s",
            retry_after=retry_after,
        )


def ingest(entries: list[LogEntryIn], *, caller: Caller | None, source_ip: str | None) -> str:
    """Queue a client's batch for storage and the live stream; its batch id.

    ValidationFailedError over the per-entry caps, PayloadTooLargeError over the batch
    size, RateLimitedError over ``log_batches_per_minute`` per account (or per source IP
    when anonymous), DependencyUnavailableError if the queue refuses.
    """
    _check_caps(entries)
    _rate_limit(f"account:{caller.account_id}" if caller else f"ip:{source_ip or 'unknown'}")
    batch = QueuedBatch(
        batch_id=new_id(),
        received_at=clock.now(),
        account_id=caller.account_id if caller else None,
        source_ip=source_ip,
        entries=[QueuedEntry(**entry.model_dump()) for entry in entries],
    )
    body = batch.model_dump(mode="json")
    if len(json.dumps(body, separators=(",", ":")).encode()) > BATCH_MAX_BYTES:
        raise PayloadTooLargeError(f"A batch may hold at most {BATCH_MAX_BYTES} bytes of logs")
    repository.queue().send(body)
    return batch.batch_id


def to_batch(queued: QueuedBatch) -> LogBatch:
    received = queued.received_at
    return LogBatch(
        batch_id=queued.batch_id,
        received_at=received,
        account_id=queued.account_id,
        source_ip=queued.source_ip,
        entries=tuple(
            LogEntry(
                entry_id=f"{clock.iso(received)}#{queued.batch_id}#{n:03d}",
                level=entry.level,
                message=entry.message,
                received_at=received,
                context=entry.context,
                client_time=entry.client_time,
                app_version=entry.app_version,
                account_id=queued.account_id,
                source_ip=queued.source_ip,
            )
            for n, entry in enumerate(queued.entries)
        ),
    )


def store_and_stream(queued: QueuedBatch) -> dict[str, int]:
    """Store a queued batch (kept ``log_retention_days``) and stream it to subscribed
    admins once (a redelivered batch is stored again under the same keys, not re-streamed)."""
    batch = to_batch(queued)
    repo = repository.get()
    expires_at = batch.received_at + timedelta(days=get_settings().log_retention_days)
    repo.store(batch, expires_at=expires_at)
    streamed = 0
    if repo.first_stream(batch.batch_id, expires_at=expires_at):
        streamed = stream(batch)
    return {"stored": len(batch.entries), "streamed_to": streamed}


def stream(batch: LogBatch) -> int:
    """Send each subscriber the batch's entries of its levels (one frame); how many got it.
    A subscriber whose connection is gone is forgotten."""
    sent = 0
    repo = repository.get()
    for subscriber in repo.subscribers():
        wanted = [entry.row() for entry in batch.entries if subscriber.wants(entry)]
        if not wanted:
            continue
        if realtime.send(subscriber.connection_id, {"type": "logs", "entries": wanted}):
            sent += 1
        else:
            repo.unsubscribe(subscriber.connection_id)
    return sent


def parse_levels(raw: Iterable[str] | None) -> frozenset[Level]:
    """Levels by name (all when none given); ValidationFailedError names an unknown one."""
    names = [name.strip().lower() for name in raw or () if name.strip()]
    unknown = sorted({name for name in names if name not in Level.__members__.values()})
    if unknown:
        raise ValidationFailedError(
            f"Unknown level(s) {', '.join(unknown)}",
            details={"known": [str(level) for level in Level]},
        )
    return frozenset(Level(name) for name in names) or frozenset(Level)


def subscribe(
    connection_id: str, *, account_id: str | None, role: Role | None, levels: frozenset[Level]
) -> Subscriber:
    """Stream new entries of ``levels`` to an admin's connection (``account_id`` and
    ``role`` are the connection's); ForbiddenError for anyone else. The subscription ends
    with the connection (at the latest after its lifetime)."""
    if role is not Role.ADMIN or not account_id:
        raise ForbiddenError("Only admins may subscribe to the log stream")
    subscriber = Subscriber(connection_id, account_id, levels)
    lifetime = timedelta(seconds=get_settings().websocket_connection_ttl_seconds)
    repository.get().subscribe(subscriber, expires_at=clock.now() + lifetime)
    logger.info("Log stream subscribed", extra={"levels": sorted(levels)})
    return subscriber


def unsubscribe(connection_id: str) -> None:
    repository.get().unsubscribe(connection_id)


def download(
    since: datetime, until: datetime, *, levels: frozenset[Level] | None, fmt: Format
) -> tuple[str, bool]:
    """Entries received in [since, until] as NDJSON or CSV, oldest first; whether the
    download was cut at the row or size limit (ask for a narrower range)."""
    settings = get_settings()
    if until < since:
        raise BadRequestError("to must not be before from")
    if until - since > timedelta(days=settings.log_download_max_days):
        raise BadRequestError(f"A download covers at most {settings.log_download_max_days} days")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    size, truncated = 0, False
    rows = repository.get().entries(
        since, until, levels=levels, limit=settings.log_download_max_rows + 1
    )
    for count, entry in enumerate(rows):
        if count >= settings.log_download_max_rows or size > settings.log_download_max_bytes:
            truncated = True
            break
        row = entry.row()
        before = out.tell()
        if writer is not None:
            writer.writerow({**row, "context": json.dumps(row["context"], separators=(",", ":"))})
        else:
            out.write(json.dumps(row, separators=(",", ":")) + "\n")
        size += out.tell() - before
    return out.getvalue(), truncated
