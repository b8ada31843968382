"""The connections table, in domain terms: the only module that knows its items and index.

``get()`` is the DynamoDB repository services use; tests swap in the in-memory fake with
``use(fake)`` (``tests/fakes/realtime.py``; both pass the same contract tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from chalicelib.core.caller import Role
from chalicelib.realtime import models
from chalicelib.realtime.domain import Connection


class ConnectionRepository(Protocol):
    """Where open connections are recorded."""

    def add(self, connection: Connection) -> None:
        """Record a connection (a second add of the same id replaces it)."""

    def remove(self, connection_id: str) -> None:
        """Forget a connection; forgetting one that is not there is not an error."""

    def of_account(self, account_id: str) -> list[Connection]:
        """The account's open connections, oldest first."""

    def find(self, connection_id: str) -> Connection | None:
        """One recorded connection, or None."""

    def all(self) -> Iterator[Connection]:
        """Every recorded connection (a full pass: housekeeping only, never a request)."""


class DynamoConnections:
    """The connections table (one item per connection, the ``by-user`` index per account)."""

    def add(self, connection: Connection) -> None:
        _item(connection).save()

    def remove(self, connection_id: str) -> None:
        models.Connection(connection_id=connection_id).delete()

    def of_account(self, account_id: str) -> list[Connection]:
        return [_connection(item) for item in models.Connection.by_user.query(account_id)]

    def find(self, connection_id: str) -> Connection | None:
        try:
            return _connection(models.Connection.get(connection_id, consistent_read=True))
        except models.Connection.DoesNotExist:
            return None

    def all(self) -> Iterator[Connection]:
        # A full pass is the point of the scheduled sweep (connections-cleanup); requests
        # read an account's connections through the by-user index.
        for item in models.Connection.scan():
            yield _connection(item)


def _item(connection: Connection) -> models.Connection:
    return models.Connection(
        connection_id=connection.connection_id,
        user_id=connection.account_id,
        role=connection.role.value if connection.role else None,
        source_ip=connection.source_ip,
        user_agent=connection.user_agent,
        session_id=connection.session_id,
        connected_at=connection.connected_at,
        expires_at=connection.expires_at,
    )


def _connection(item: models.Connection) -> Connection:
    return Connection(
        connection_id=item.connection_id,
        connected_at=item.connected_at,
        expires_at=item.expires_at,
        account_id=item.user_id,
        role=Role(item.role) if item.role else None,
        source_ip=item.source_ip,
        user_agent=item.user_agent,
        session_id=item.session_id,
    )


_repository: ConnectionRepository | None = None


def get() -> ConnectionRepository:
    """The repository services use (the DynamoDB one unless a test swapped it)."""
    global _repository
    if _repository is None:
        _repository = DynamoConnections()
    return _repository


def use(repository: ConnectionRepository | None) -> None:
    """Swap the repository (tests: the in-memory fake); None goes back to DynamoDB."""
    global _repository
    _repository = repository
