"""Notification use cases on fakes: the in-memory repository and directory, realtime's
in-memory connections and recording gateway, and an outbox instead of SES."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core import clock
from chalicelib.notifications import mailer, repository
from chalicelib.notifications.domain import Notification
from chalicelib.notifications.service import directory
from chalicelib.realtime import gateway
from chalicelib.realtime import repository as connections_repo
from chalicelib.realtime.domain import Connection
from tests.fakes.notifications import FakeDirectory, InMemoryNotifications
from tests.fakes.realtime import InMemoryConnections, RecordingGateway

SHOPPER, SELLER, ADMIN = "shopper-1", "seller-1", "admin-1"
SHOP = "shop-1"


@pytest.fixture
def repo() -> Iterator[InMemoryNotifications]:
    fake = InMemoryNotifications()
    repository.use(fake)
    yield fake
    repository.use(None)


@pytest.fixture
def people() -> Iterator[FakeDirectory]:
    fake = FakeDirectory(
        staff={SHOP: [SELLER]},
        admin_ids=[ADMIN],
        emails={
            SHOPPER: "shopper@example.com",
            SELLER: "seller@example.com",
            ADMIN: "admin@example.com",
        },
    )
    directory.use(fake)
    yield fake
    directory.use(None)


@dataclass
class Sockets:
    connections: InMemoryConnections
    gateway: RecordingGateway
    opened: int = 0

    def open(self, account_id: str) -> str:
        self.opened += 1
        connection_id = f"conn-{account_id}-{self.opened}"
        now = clock.now()
        self.connections.add(
            Connection(connection_id, now, now + timedelta(hours=2), account_id=account_id)
        )
        return connection_id

    def frames(self, connection_id: str) -> list[dict[str, object]]:
        return self.gateway.sent_to(connection_id)


@pytest.fixture
def sockets() -> Iterator[Sockets]:
    conns, gate = InMemoryConnections(), RecordingGateway()
    connections_repo.use(conns)
    gateway.use(gate)
    yield Sockets(conns, gate)
    connections_repo.use(None)
    gateway.use(None)


@dataclass
class Outbox:
    single: list[tuple[str, Notification]] = field(default_factory=list)
    digests: list[tuple[str, list[Notification]]] = field(default_factory=list)


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Outbox:
    box = Outbox()

    def send_notification(notification: Notification, *, to: str) -> str:
        box.single.append((to, notification))
        return "m"

    def send_chat_digest(notifications: list[Notification], *, to: str) -> str:
        box.digests.append((to, list(notifications)))
        return "d"

    monkeypatch.setattr(mailer, "send_notification", send_notification)
    monkeypatch.setattr(mailer, "send_chat_digest", send_chat_digest)
    return box


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    with clock.controlled(datetime(2026, 11, 28, 10, 0, tzinfo=UTC)) as manual:
        yield manual
