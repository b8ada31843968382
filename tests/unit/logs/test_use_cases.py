"""Client-log use cases on fakes: caps, rate limit, store once, stream by level, download."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import (
    BadRequestError,
    ForbiddenError,
    RateLimitedError,
    ValidationFailedError,
)
from chalicelib.logs import repository, service
from chalicelib.logs.domain import Level
from chalicelib.logs.schemas import LogEntryIn, QueuedBatch
from chalicelib.realtime import gateway
from chalicelib.realtime import repository as connections_repo
from chalicelib.realtime.domain import Connection
from tests.fakes.logs import InMemoryLogs, RecordingQueue
from tests.fakes.realtime import InMemoryConnections, RecordingGateway

START = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def logs() -> Iterator[InMemoryLogs]:
    fake, queue = InMemoryLogs(), RecordingQueue()
    repository.use(fake)
    repository.use_queue(queue)
    fake.queue = queue  # type: ignore[attr-defined]
    yield fake
    repository.use(None)
    repository.use_queue(None)


@pytest.fixture
def sockets() -> Iterator[tuple[InMemoryConnections, RecordingGateway]]:
    conns, gate = InMemoryConnections(), RecordingGateway()
    connections_repo.use(conns)
    gateway.use(gate)
    yield conns, gate
    connections_repo.use(None)
    gateway.use(None)


@pytest.fixture
def manual() -> Iterator[clock.ManualClock]:
    with clock.controlled(START) as manual_clock:
        yield manual_clock


def entry(level: str = "info", message: str = "hello", **more: object) -> LogEntryIn:
    return LogEntryIn.model_validate({"level": level, "message": message, **more})


def open_connection(conns: InMemoryConnections, connection_id: str, role: Role) -> None:
    now = clock.now()
    conns.add(
        Connection(
            connection_id,
            now,
            now + timedelta(hours=2),
            account_id=f"acc-{connection_id}",
            role=role,
        )
    )


def subscribe(connection_id: str, role: Role, levels: frozenset[Level]) -> None:
    service.subscribe(connection_id, account_id=f"acc-{connection_id}", role=role, levels=levels)


def received(logs: InMemoryLogs) -> QueuedBatch:
    return QueuedBatch.model_validate(logs.queue.sent[-1])  # type: ignore[attr-defined]


def test_a_batch_is_queued_with_who_sent_it(logs: InMemoryLogs, manual: clock.ManualClock) -> None:
    shopper = Caller("acc-1", Role.USER)
    batch_id = service.ingest(
        [entry("error", "boom", context={"screen": "cart"}, app_version="1.2")],
        caller=shopper,
        source_ip="203.0.113.9",
    )
    queued = received(logs)
    assert queued.batch_id == batch_id
    assert queued.account_id == "acc-1"
    assert queued.entries[0].context == {"screen": "cart"}


def test_caps_refuse_too_many_entries_long_messages_and_big_contexts(logs: InMemoryLogs) -> None:
    with pytest.raises(ValidationFailedError):
        service.ingest([entry()] * 51, caller=None, source_ip="1.2.3.4")
    with pytest.raises(ValidationFailedError) as refused:
        service.ingest(
            [entry(message="x" * 2001), entry(context={"blob": "y" * 5000})],
            caller=None,
            source_ip="1.2.3.4",
        )
    assert [p["field"] for p in refused.value.details] == [
        "entries.0.message",
        "entries.1.context",
    ]
    assert logs.queue.sent == []  # type: ignore[attr-defined]


def test_the_rate_limit_is_per_client_per_minute(
    logs: InMemoryLogs, manual: clock.ManualClock
) -> None:
    for _ in range(60):
        service.ingest([entry()], caller=None, source_ip="1.2.3.4")
    with pytest.raises(RateLimitedError):
        service.ingest([entry()], caller=None, source_ip="1.2.3.4")
    service.ingest([entry()], caller=None, source_ip="5.6.7.8")  # another client
    manual.advance(minutes=1)
    service.ingest([entry()], caller=None, source_ip="1.2.3.4")  # a new minute


def test_a_batch_streams_once_to_admins_by_their_levels(
    logs: InMemoryLogs,
    sockets: tuple[InMemoryConnections, RecordingGateway],
    manual: clock.ManualClock,
) -> None:
    conns, gate = sockets
    open_connection(conns, "admin-all", Role.ADMIN)
    open_connection(conns, "admin-errors", Role.ADMIN)
    subscribe("admin-all", Role.ADMIN, service.parse_levels(None))
    subscribe("admin-errors", Role.ADMIN, service.parse_levels(["error"]))
    service.ingest([entry("error", "bad"), entry("debug", "noise")], caller=None, source_ip="ip")
    queued = received(logs)
    assert service.store_and_stream(queued) == {"stored": 2, "streamed_to": 2}
    assert service.store_and_stream(queued) == {"stored": 2, "streamed_to": 0}  # redelivered
    [all_frame] = gate.sent_to("admin-all")
    assert [e["level"] for e in all_frame["entries"]] == ["error", "debug"]
    [errors_frame] = gate.sent_to("admin-errors")
    assert [e["message"] for e in errors_frame["entries"]] == ["bad"]
    assert len(logs.rows) == 2


def test_a_gone_subscriber_is_forgotten(
    logs: InMemoryLogs, sockets: tuple[InMemoryConnections, RecordingGateway]
) -> None:
    conns, gate = sockets
    open_connection(conns, "admin-1", Role.ADMIN)
    subscribe("admin-1", Role.ADMIN, frozenset(Level))
    gate.gone.add("admin-1")
    service.ingest([entry()], caller=None, source_ip="ip")
    assert service.store_and_stream(received(logs))["streamed_to"] == 0
    assert logs.subscribers() == []


def test_only_admins_may_subscribe(
    logs: InMemoryLogs, sockets: tuple[InMemoryConnections, RecordingGateway]
) -> None:
    with pytest.raises(ForbiddenError):
        subscribe("shopper", Role.USER, frozenset(Level))
    with pytest.raises(ForbiddenError):
        service.subscribe("unknown", account_id=None, role=None, levels=frozenset(Level))
    with pytest.raises(ValidationFailedError):
        service.parse_levels(["loud"])


def test_download_as_ndjson_and_csv_filtered_by_time_and_level(
    logs: InMemoryLogs, manual: clock.ManualClock
) -> None:
    for level in ("info", "error", "warning"):
        service.ingest([entry(level, f"{level} line")], caller=None, source_ip="ip")
        service.store_and_stream(received(logs))
        manual.advance(minutes=30)
    # The first two arrived at 10:00 and 10:30
    since, until = START, START + timedelta(minutes=45)
    ndjson, truncated = service.download(since, until, levels=None, fmt="ndjson")
    rows = [json.loads(line) for line in ndjson.splitlines()]
    assert [r["message"] for r in rows] == ["info line", "error line"]
    assert truncated is False
    text, _ = service.download(
        since,
        START + timedelta(hours=2),
        levels=frozenset({Level.ERROR, Level.WARNING}),
        fmt="csv",
    )
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["level"] for r in table] == ["error", "warning"]
    assert json.loads(table[0]["context"]) == {}
    with pytest.raises(BadRequestError):
        service.download(until, since, levels=None, fmt="csv")
    with pytest.raises(BadRequestError):
        service.download(since, since + timedelta(days=8), levels=None, fmt="csv")
