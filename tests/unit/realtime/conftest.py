"""Realtime use cases on the in-memory fakes (no AWS)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.realtime import gateway, repository
from tests.fakes.realtime import InMemoryConnections, RecordingGateway


@pytest.fixture
def connections() -> Iterator[InMemoryConnections]:
    fake = InMemoryConnections()
    repository.use(fake)
    yield fake
    repository.use(None)


@pytest.fixture
def sockets() -> Iterator[RecordingGateway]:
    fake = RecordingGateway()
    gateway.use(fake)
    yield fake
    gateway.use(None)
