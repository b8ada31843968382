"""The AWS resources the API depends on, asked whether they answer (the only module of
platform that calls AWS).

``get()`` asks AWS; tests swap in a fake with ``use(fake)`` (``tests/fakes/platform.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import aws
from chalicelib.platform.domain import Check


class Dependencies(Protocol):
    """Probes of the API's dependencies; each answers a Check, never raises an AWS error."""

    def table(self, name: str) -> Check:
        """Whether the DynamoDB table ``name`` answers (DescribeTable)."""

    def bus(self, name: str) -> Check:
        """Whether the EventBridge bus ``name`` answers (DescribeEventBus)."""


class AwsDependencies:
    """DynamoDB and EventBridge, through the shared clients."""

    def table(self, name: str) -> Check:
        dynamodb = aws.client("dynamodb")
        return _timed(lambda: dynamodb.describe_table(TableName=name))

    def bus(self, name: str) -> Check:
        events = aws.client("events")
        return _timed(lambda: events.describe_event_bus(Name=name))


def _timed(call: Callable[[], object]) -> Check:
    started = time.perf_counter()
    try:
        call()
    except (BotoCoreError, ClientError) as exc:
        return Check(ok=False, error=type(exc).__name__)
    return Check(ok=True, latency_ms=round((time.perf_counter() - started) * 1000, 2))


_dependencies: Dependencies | None = None


def get() -> Dependencies:
    """The probes services use (AWS unless a test swapped them)."""
    global _dependencies
    if _dependencies is None:
        _dependencies = AwsDependencies()
    return _dependencies


def use(dependencies: Dependencies | None) -> None:
    """Swap the probes (tests: a fake); None goes back to AWS."""
    global _dependencies
    _dependencies = dependencies
