"""Rate-limit windows and cooldowns against an in-memory fake of the counters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import RateLimitedError
from chalicelib.core.settings import RateLimitRule
from chalicelib.identity import ratelimit, repository

START = datetime(2026, 11, 21, 10, 0, 5, tzinfo=UTC)  # 5 s into a 60 s window


class FakeCounters:
    """What the identity table does for hit_window / take_cooldown, in memory."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, datetime], int] = {}
        self.cooldowns: dict[str, datetime] = {}

    def hit_window(
        self, key: str, *, window_start: datetime, limit: int, expires: datetime
    ) -> repository.WindowHit:
        count = self.hits.get((key, window_start), 0)
        if count >= limit:
            return repository.WindowHit(allowed=False, hits=count)
        self.hits[(key, window_start)] = count + 1
        return repository.WindowHit(allowed=True, hits=count + 1)

    def take_cooldown(self, key: str, *, now: datetime, until: datetime) -> datetime | None:
        running = self.cooldowns.get(key)
        if running is not None and running > now:
            return running
        self.cooldowns[key] = until
        return None


@pytest.fixture
def counters(monkeypatch: pytest.MonkeyPatch) -> FakeCounters:
    fake = FakeCounters()
    monkeypatch.setattr(repository, "hit_window", fake.hit_window)
    monkeypatch.setattr(repository, "take_cooldown", fake.take_cooldown)
    return fake


@pytest.fixture
def manual() -> Any:
    with clock.controlled(START) as controlled:
        yield controlled


RULE = RateLimitRule(per_email=2, per_ip=3, window_seconds=60)


def test_per_email_limit_with_retry_after_until_the_window_ends(
    counters: FakeCounters, manual: Any
) -> None:
    for _ in range(2):
        ratelimit.enforce("login", RULE, email="a@x.example.com", source_ip="10.0.0.1")
    with pytest.raises(RateLimitedError) as limited:
        ratelimit.enforce("login", RULE, email="a@x.example.com", source_ip="10.0.0.2")
    assert limited.value.retry_after == 55
    manual.advance(seconds=55)
    ratelimit.enforce("login", RULE, email="a@x.example.com", source_ip="10.0.0.3")


def test_per_ip_limit_applies_across_emails(counters: FakeCounters, manual: Any) -> None:
    for n in range(3):
        ratelimit.enforce("login", RULE, email=f"{n}@x.example.com", source_ip="10.0.0.9")
    with pytest.raises(RateLimitedError):
        ratelimit.enforce("login", RULE, email="new@x.example.com", source_ip="10.0.0.9")


def test_scopes_are_counted_apart_and_keys_carry_no_personal_data(
    counters: FakeCounters, manual: Any
) -> None:
    ratelimit.enforce("login", RULE, email="a@x.example.com", source_ip="10.0.0.1")
    ratelimit.enforce("register", RULE, email="a@x.example.com", source_ip="10.0.0.1")
    keys = [key for key, _ in counters.hits]
    assert len(keys) == 4
    assert not any("a@x.example.com" in key or "10.0.0.1" in key for key in keys)


def test_cooldown_blocks_until_it_ends(counters: FakeCounters, manual: Any) -> None:
    ratelimit.cooldown("otp_send", "a@x.example.com", 60)
    manual.advance(seconds=20)
    with pytest.raises(RateLimitedError) as waiting:
        ratelimit.cooldown("otp_send", "a@x.example.com", 60)
    assert waiting.value.retry_after == 40
    ratelimit.cooldown("otp_send", "b@x.example.com", 60)
    manual.advance(seconds=40)
    ratelimit.cooldown("otp_send", "a@x.example.com", 60)
