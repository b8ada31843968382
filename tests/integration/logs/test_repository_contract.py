"""The logs repository's contract: the DynamoDB one and the in-memory fake agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.logs.domain import Level, LogBatch, LogEntry, Subscriber
from tests.fakes.logs import InMemoryLogs

T0 = datetime(2026, 11, 28, 10, 59, tzinfo=UTC)
KEEP = T0 + timedelta(days=14)


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemoryLogs()
        return
    request.getfixturevalue("aws_env")
    from chalicelib.logs.repository import DynamoLogs

    yield DynamoLogs()


def batch(batch_id: str, at: datetime, *levels: Level) -> LogBatch:
    from chalicelib.core import clock

    return LogBatch(
        batch_id=batch_id,
        received_at=at,
        entries=tuple(
            LogEntry(
                entry_id=f"{clock.iso(at)}#{batch_id}#{n:03d}",
                level=level,
                message=f"{batch_id}-{n}",
                received_at=at,
                context={"n": n},
                client_time=at - timedelta(seconds=1),
                app_version="1.0",
                source_ip="203.0.113.1",
            )
            for n, level in enumerate(levels)
        ),
    )


def test_entries_across_hours_by_range_and_level_oldest_first(repo: Any) -> None:
    first = batch("b1", T0, Level.INFO, Level.ERROR)
    second = batch("b2", T0 + timedelta(minutes=2), Level.DEBUG)  # the next hour
    for each in (first, second, first):  # stored twice: same keys
        repo.store(each, expires_at=KEEP)
    everything = list(repo.entries(T0, T0 + timedelta(hours=1), levels=None, limit=100))
    assert [e.message for e in everything] == ["b1-0", "b1-1", "b2-0"]
    assert everything[0].context == {"n": 0}
    assert everything[0] == first.entries[0]
    errors = repo.entries(T0, T0 + timedelta(hours=1), levels=frozenset({Level.ERROR}), limit=9)
    assert [e.message for e in errors] == ["b1-1"]
    assert len(list(repo.entries(T0, T0 + timedelta(hours=1), levels=None, limit=2))) == 2
    later = repo.entries(T0 + timedelta(minutes=1), T0 + timedelta(hours=1), levels=None, limit=9)
    assert [e.message for e in later] == ["b2-0"]


def test_a_batch_is_streamed_once(repo: Any) -> None:
    assert repo.first_stream("b1", expires_at=KEEP) is True
    assert repo.first_stream("b1", expires_at=KEEP) is False


def test_subscribers_come_and_go_and_expire(repo: Any) -> None:
    from chalicelib.core import clock

    now = clock.now()
    repo.subscribe(
        Subscriber("c1", "a1", frozenset({Level.ERROR})), expires_at=now + timedelta(hours=1)
    )
    repo.subscribe(Subscriber("c2", "a2", frozenset(Level)), expires_at=now + timedelta(hours=1))
    repo.subscribe(Subscriber("c3", "a3", frozenset(Level)), expires_at=now - timedelta(hours=1))
    assert [s.connection_id for s in repo.subscribers()] == ["c1", "c2"]
    assert repo.subscribers()[0].levels == frozenset({Level.ERROR})
    repo.unsubscribe("c1")
    repo.unsubscribe("c1")
    assert [s.connection_id for s in repo.subscribers()] == ["c2"]


def test_requests_are_counted_per_client_and_window(repo: Any) -> None:
    keep = T0 + timedelta(minutes=5)
    assert [repo.count_request("ip:1", "w1", expires_at=keep) for _ in range(3)] == [1, 2, 3]
    assert repo.count_request("ip:2", "w1", expires_at=keep) == 1
    assert repo.count_request("ip:1", "w2", expires_at=keep) == 1
