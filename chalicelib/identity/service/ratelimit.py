"""Rate limits and cooldowns, counted in the identity table (atomic, no Redis).

Fixed windows: attempt N of a window is allowed while N <= the limit; every attempt is
counted before the work it guards, so parallel requests cannot slip past the limit.
Keys hash the email or IP, so counters carry no personal data.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

from chalicelib.core import clock
from chalicelib.core.errors import RateLimitedError
from chalicelib.core.observability import logger
from chalicelib.core.settings import RateLimitRule
from chalicelib.identity import repository


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _retry_after(now: datetime, until: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def enforce(scope: str, rule: RateLimitRule, *, email: str | None, source_ip: str | None) -> None:
    """Count one ``scope`` attempt per source IP and per email; RateLimitedError past a limit."""
    now = clock.now()
    start_epoch = clock.epoch(now) // rule.window_seconds * rule.window_seconds
    window_start = datetime.fromtimestamp(start_epoch, UTC)
    window_end = window_start + timedelta(seconds=rule.window_seconds)
    for dimension, value, limit in (
        ("ip", source_ip, rule.per_ip),
        ("email", email, rule.per_email),
    ):
        if not value:
            continue
        counted = repository.get().hit_window(
            f"{scope}#{dimension}#{_digest(value)}",
            window_start=window_start,
            limit=limit,
            expires=window_end,
        )
        if not counted:
            logger.info("Rate limit reached", extra={"scope": scope, "dimension": dimension})
            retry_after = _retry_after(now, window_end)
            raise RateLimitedError(
                "Too many attempts; try again later",
                retry_after=retry_after,
                details={"scope": scope, "retry_after_seconds": retry_after},
            )


def cooldown(scope: str, value: str, seconds: int) -> None:
    """Allow one ``scope`` action per ``value`` every ``seconds``; RateLimitedError otherwise."""
    now = clock.now()
    running_until = repository.get().take_cooldown(
        f"{scope}#{_digest(value)}", now=now, until=now + timedelta(seconds=seconds)
    )
    if running_until is not None:
        retry_after = _retry_after(now, running_until)
        raise RateLimitedError(
            "Please wait before asking for another code",
            retry_after=retry_after,
            details={"scope": scope, "retry_after_seconds": retry_after},
        )
