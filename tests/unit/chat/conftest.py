"""Chat use cases on the in-memory chat, catalog and connections repositories (no AWS)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.realtime import gateway
from chalicelib.realtime import repository as connections_repository
from chalicelib.realtime.domain import Connection
from tests.fakes.catalog import (
    InMemoryCatalogRepository,
    bus,
    catalog_repo,
    make_product,
    make_shop,
    media_objects,
)
from tests.fakes.chat import InMemoryChatRepository, chat_repo
from tests.fakes.realtime import InMemoryConnections, RecordingGateway

__all__ = ["bus", "catalog_repo", "chat_repo", "media_objects"]

SHOPPER = Caller(account_id="ann", role=Role.USER)
SELLER = Caller(account_id="seller-1", role=Role.SELLER, shop_id="shop-1")
STRANGER = Caller(account_id="eve", role=Role.USER)
ADMIN = Caller(account_id="root", role=Role.ADMIN)


@dataclass
class World:
    chat: InMemoryChatRepository
    catalog: InMemoryCatalogRepository
    connections: InMemoryConnections
    sockets: RecordingGateway

    def connect(self, connection_id: str, account_id: str) -> str:
        self.connections.add(
            Connection.opened(
                connection_id,
                at=clock.now(),
                lifetime=timedelta(hours=2),
                account_id=account_id,
                role=Role.USER,
            )
        )
        return connection_id

    def frames(self, connection_id: str, kind: str | None = None) -> list[dict]:
        sent = self.sockets.sent_to(connection_id)
        return [f for f in sent if kind is None or f.get("type") == kind]


@pytest.fixture
def world(
    chat_repo: InMemoryChatRepository, catalog_repo: InMemoryCatalogRepository
) -> Iterator[World]:
    shop = catalog_repo.add_shop(make_shop("shop-1", "seller-1"))
    catalog_repo.add_shop(make_shop("shop-2", "seller-2"))
    catalog_repo.add_product(make_product("p-1", shop))
    catalog_repo.add_product(make_product("p-other", make_shop("shop-2", "seller-2")))
    connections = InMemoryConnections()
    sockets = RecordingGateway()
    connections_repository.use(connections)
    gateway.use(sockets)
    yield World(chat_repo, catalog_repo, connections, sockets)
    connections_repository.use(None)
    gateway.use(None)
