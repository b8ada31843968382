"""The analytics repository's contract: the DynamoDB one and the in-memory fake agree.

Every test runs on ``FakeAnalyticsRepository`` (tests/fakes/analytics.py) and on
``DynamoAnalyticsRepository`` against moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.analytics import sketch
from chalicelib.analytics.domain import PLATFORM, CounterKey, Grain
from chalicelib.analytics.repository import MAX_TRANSACTION_ITEMS
from tests.fakes.analytics import FakeAnalyticsRepository


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield FakeAnalyticsRepository()
        return
    request.getfixturevalue("aws_env")
    from chalicelib.analytics.repository import DynamoAnalyticsRepository

    yield DynamoAnalyticsRepository()


DAY = CounterKey("shop-1", Grain.DAY, "2026-11-02")
VIEWS = CounterKey("shop-1", Grain.PRODUCT_DAY, "2026-11-02", "p-1")
MONTH = CounterKey("shop-1", Grain.PRODUCT_MONTH, "2026-11", "p-1")
TERM = CounterKey(PLATFORM, Grain.NO_RESULTS, "2026-11-02", "purple unicorn")


def test_counts_are_added_once_per_batch_marker(repo: Any) -> None:
    # Given a batch counted
    counts = {DAY: {"views": 2, "device:mobile": 2}, VIEWS: {"views": 2}, TERM: {"count": 1}}
    assert repo.add_counts({"b-1": 3}, counts, expires_at=2_000_000_000) == set()
    # When it comes again with another batch, nothing of either is written
    more = {DAY: {"views": 5}, MONTH: {"views": 5}}
    assert repo.add_counts({"b-2": 5, "b-1": 3}, more, expires_at=2_000_000_000) == {"b-1"}
    # Then only the first counts are there; the second alone is then added
    assert repo.add_counts({"b-2": 5}, more, expires_at=2_000_000_000) == set()
    days = repo.days("shop-1", "2026-11-01", "2026-11-30")
    assert [(d.day, dict(d.counters)) for d in days] == [
        ("2026-11-02", {"views": 7, "device:mobile": 2})
    ]
    assert repo.products("shop-1", Grain.PRODUCT_DAY, "2026-11-01", "2026-11-02") == [
        ("p-1", {"views": 2})
    ]
    assert repo.products("shop-1", Grain.PRODUCT_MONTH, "2026-11", "2026-11") == [
        ("p-1", {"views": 5})
    ]
    assert repo.products("shop-1", Grain.PRODUCT_DAY, "2026-11-03", "2026-11-30") == []
    assert repo.no_results(PLATFORM, "2026-11-02", "2026-11-02") == [("purple unicorn", 1)]
    assert repo.days("shop-2", "2026-11-01", "2026-11-30") == []


def test_a_transaction_holds_at_most_100_markers_and_items(repo: Any) -> None:
    counts = {
        CounterKey("s", Grain.PRODUCT_DAY, "2026-11-02", f"p-{n}"): {"views": 1}
        for n in range(MAX_TRANSACTION_ITEMS)
    }
    with pytest.raises(ValueError, match="at most"):
        repo.add_counts({"b": 1}, counts, expires_at=2_000_000_000)


def test_a_sketch_is_saved_only_over_the_version_read(repo: Any) -> None:
    # Given a day with counters and no sketch yet
    repo.add_counts({"b-1": 1}, {DAY: {"views": 1}}, expires_at=2_000_000_000)
    assert repo.sketches([("shop-1", "2026-11-02")]) == {("shop-1", "2026-11-02"): (None, 0)}
    first = sketch.add(None, ["a", "b"])
    # When two writers read version 0, only the first one's save wins
    assert repo.save_sketch("shop-1", "2026-11-02", first, version=0)
    assert not repo.save_sketch("shop-1", "2026-11-02", sketch.add(None, ["c"]), version=0)
    stored, version = repo.sketches([("shop-1", "2026-11-02")])[("shop-1", "2026-11-02")]
    assert (stored, version) == (first, 1)
    # Then the day keeps its counters beside its sketch
    (day,) = repo.days("shop-1", "2026-11-02", "2026-11-02")
    assert dict(day.counters) == {"views": 1}
    assert day.sketch == first


def test_demo_history_replaces_items_and_sketches(repo: Any) -> None:
    repo.put_counts({DAY: {"orders": 4, "revenue": 900}}, {("shop-1", "2026-11-02"): b"\x01"})
    (day,) = repo.days("shop-1", "2026-11-02", "2026-11-02")
    assert dict(day.counters) == {"orders": 4, "revenue": 900}
    assert day.sketch == b"\x01"


def test_a_rate_window_counts_up_to_its_limit(repo: Any) -> None:
    hits = [repo.hit_window("k", window_start=60, limit=2, expires_at=999) for _ in range(3)]
    assert hits == [True, True, False]
    assert repo.hit_window("k", window_start=120, limit=2, expires_at=999)
    assert repo.hit_window("other", window_start=60, limit=2, expires_at=999)
