"""The identity context's clock: real UTC time, or a manual one that tests move by hand.

Every expiry, cooldown, lockout and rate-limit window in this package reads ``now()``,
token checks included, so tests control time without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    """The current time (timezone-aware UTC)."""
    return _source()


def epoch(moment: datetime) -> int:
    """Whole seconds since the epoch (what JWT and DynamoDB TTL use)."""
    return int(moment.timestamp())


class ManualClock:
    """A clock that stands still until ``advance`` is called."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``; returns the new time."""
        self.current += timedelta(**delta)
        return self.current


@contextmanager
def controlled(start: datetime | None = None) -> Iterator[ManualClock]:
    """Within the block, ``now()`` is a ManualClock (starting at ``start`` or the real now)."""
    global _source
    manual = ManualClock(start or datetime.now(UTC).replace(microsecond=0))
    previous = _source
    _source = manual.now
    try:
        yield manual
    finally:
        _source = previous
