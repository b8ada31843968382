"""In-memory analytics: the counters table, the events queue and the lake."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import pytest

from chalicelib.analytics import repository
from chalicelib.analytics.domain import CounterKey, DayTotals, Grain, Tally
from chalicelib.analytics.repository import MAX_TRANSACTION_ITEMS, lake_key


class FakeAnalyticsRepository:
    def __init__(self) -> None:
        self.counters: dict[CounterKey, dict[str, int]] = defaultdict(dict)
        self.markers: dict[str, int] = {}
        self.sketch_items: dict[tuple[str, str], tuple[bytes, int]] = {}
        self.windows: dict[tuple[str, int], int] = {}
        self.transactions = 0
        self.updates = 0

    def add_counts(self, batches: Mapping[str, int], counts: Tally, *, expires_at: int) -> set[str]:
        if len(batches) + len(counts) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"at most {MAX_TRANSACTION_ITEMS} markers and items together")
        done = {batch_id for batch_id in batches if batch_id in self.markers}
        if done:
            return done
        self.transactions += 1
        self.markers.update(batches)
        for key, values in counts.items():
            if not values:
                continue
            self.updates += 1
            item = self.counters[key]
            for name, value in values.items():
                item[name] = item.get(name, 0) + value
        return set()

    def sketches(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[bytes | None, int]]:
        out: dict[tuple[str, str], tuple[bytes | None, int]] = {}
        for key in keys:
            stored = self.sketch_items.get(key)
            out[key] = (stored[0], stored[1]) if stored else (None, 0)
        return out

    def save_sketch(self, scope: str, day: str, sketch: bytes, *, version: int) -> bool:
        current = self.sketch_items.get((scope, day))
        if (current[1] if current else 0) != version:
            return False
        self.sketch_items[(scope, day)] = (sketch, version + 1)
        return True

    def days(self, scope: str, start: str, end: str) -> list[DayTotals]:
        days = {
            key.period
            for key in self.counters
            if key.scope == scope and key.grain is Grain.DAY and start <= key.period <= end
        } | {day for (s, day) in self.sketch_items if s == scope and start <= day <= end}
        return [
            DayTotals(
                day=day,
                counters=dict(self.counters.get(CounterKey(scope, Grain.DAY, day), {})),
                sketch=self.sketch_items.get((scope, day), (None, 0))[0],
            )
            for day in sorted(days)
        ]

    def products(
        self, scope: str, grain: Grain, start: str, end: str
    ) -> list[tuple[str, dict[str, int]]]:
        return [
            (key.subject, dict(values))
            for key, values in sorted(self.counters.items())
            if key.scope == scope and key.grain is grain and start <= key.period <= end
        ]

    def no_results(self, scope: str, start: str, end: str) -> list[tuple[str, int]]:
        return [
            (key.subject, values["count"])
            for key, values in sorted(self.counters.items())
            if key.scope == scope and key.grain is Grain.NO_RESULTS and start <= key.period <= end
        ]

    def put_counts(self, counts: Tally, sketches: Mapping[tuple[str, str], bytes]) -> None:
        for key, values in counts.items():
            self.counters[key] = dict(values)
        for key, sketch in sketches.items():
            self.sketch_items[key] = (sketch, 1)

    def hit_window(self, key: str, *, window_start: int, limit: int, expires_at: int) -> bool:
        hits = self.windows.get((key, window_start), 0)
        if hits >= limit:
            return False
        self.windows[(key, window_start)] = hits + 1
        return True


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, body: str) -> None:
        self.sent.append(body)


class FakeLake:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def write(
        self, batch_id: str, received_at: datetime, lines: Sequence[Mapping[str, Any]]
    ) -> str:
        key = lake_key(batch_id, received_at)
        text = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
        self.objects[key] = gzip.compress(text.encode(), mtime=0)
        return key

    def read_day(self, day: str) -> Iterator[dict[str, Any]]:
        for key in sorted(self.objects):
            if key.startswith(f"events/dt={day}/"):
                for line in gzip.decompress(self.objects[key]).decode().splitlines():
                    yield json.loads(line)

    def lines(self) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for body in self.objects.values()
            for line in gzip.decompress(body).decode().splitlines()
        ]


@pytest.fixture
def analytics_fakes() -> Iterator[tuple[FakeAnalyticsRepository, FakeQueue, FakeLake]]:
    fakes = (FakeAnalyticsRepository(), FakeQueue(), FakeLake())
    repository.use(fakes[0], events_queue=fakes[1], event_lake=fakes[2])
    yield fakes
    repository.use(None)
