"""The one clock: real UTC time, or a manual one that tests move by hand.

Every expiry, cooldown, window and schedule in the services reads ``now()``, so tests
control time without sleeping (``with clock.controlled() as manual: manual.advance(...)``).
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


def iso(moment: datetime) -> str:
    """A sortable UTC timestamp string (microseconds, ``+00:00``)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse(text: str) -> datetime:
    """The datetime of an ``iso()`` string (or any ISO 8601 with offset)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
