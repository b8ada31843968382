"""Rate-limit windows and cooldowns, counted in the in-memory identity repository."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import RateLimitedError
from chalicelib.core.settings import RateLimitRule
from chalicelib.identity.service import ratelimit
from tests.fakes.identity import FakeIdentityRepository

START = datetime(2026, 11, 21, 10, 0, 5, tzinfo=UTC)  # 5 s into a 60 s window


@pytest.fixture
def manual() -> Any:
    with clock.controlled(START) as controlled:
        yield controlled


RULE = RateLimitRule(per_email=2, per_ip=3, window_seconds=60)


def test_per_email_limit_with_retry_after_until_the_window_ends(
    repo: FakeIdentityRepository, manual: Any
) -> None:
    for _ in range(2):
        ratelimit.enforce("login", RULE, email="a@x.example.com", source_ip="10.0.0.1")
    with pytest.raises(RateLimitedError) as limited:
        ratelimit.enforce("login", RULE, email="a@x.example.com", source_ip="10.0.0.2")
    assert limited.value.retry_after == 55
    manual.advance(seconds=55)
    ratelimit.enforce("login", RULE, email="a@x.example.com", source_ip="10.0.0.3")


def test_per_ip_limit_applies_across_emails(repo: FakeIdentityRepository, manual: Any) -> None:
    for n in range(3):
        ratelimit.enforce("login", RULE, email=f"{n}@x.example.com", source_ip="10.0.0.9")
    with pytest.raises(RateLimitedError):
        ratelimit.enforce("login", RULE, email="new@x.example.com", source_ip="10.0.0.9")


def test_scopes_are_counted_apart_and_keys_carry_no_personal_data(
    repo: FakeIdentityRepository, manual: Any
) -> None:
    ratelimit.enforce("login", RULE, email="a@x.example.com", source_ip="10.0.0.1")
    ratelimit.enforce("register", RULE, email="a@x.example.com", source_ip="10.0.0.1")
    keys = [key for key, _ in repo.windows]
    assert len(keys) == 4
    assert not any("a@x.example.com" in key or "10.0.0.1" in key for key in keys)


def test_cooldown_blocks_until_it_ends(repo: FakeIdentityRepository, manual: Any) -> None:
    ratelimit.cooldown("otp_send", "a@x.example.com", 60)
    manual.advance(seconds=20)
    with pytest.raises(RateLimitedError) as waiting:
        ratelimit.cooldown("otp_send", "a@x.example.com", 60)
    assert waiting.value.retry_after == 40
    ratelimit.cooldown("otp_send", "b@x.example.com", 60)
    manual.advance(seconds=40)
    ratelimit.cooldown("otp_send", "a@x.example.com", 60)
