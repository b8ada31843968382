"""The connections and presence tables, in domain terms: the only module that knows their
items and index.

``get()`` is the DynamoDB repository services use; tests swap in the in-memory fake with
``use(fake)`` (``tests/fakes/realtime.py``; both pass the same contract tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import UpdateError

from chalicelib.core.caller import Role
from chalicelib.core.dynamo import condition_failed
from chalicelib.realtime import models
from chalicelib.realtime.domain import Connection


class ConnectionRepository(Protocol):
    """Where open connections are recorded."""

    def add(self, connection: Connection) -> None:
        """Record a connection (a second add of the same id replaces it)."""

    def remove(self, connection_id: str) -> Connection | None:
        """Forget a connection; the record it had (None if there was none: not an error)."""

    def of_account(self, account_id: str) -> list[Connection]:
        """The account's open connections, oldest first."""

    def all(self) -> Iterator[Connection]:
        """Every recorded connection (a full pass: housekeeping only, never a request)."""

    def count_frame(self, connection_id: str, window: int) -> tuple[Connection | None, int]:
        """Count one frame of a connection in fixed window ``window``: the connection and
        the frames counted in that window so far (this one included); (None, 0) for a
        connection without a record (nothing is written then)."""

    def mark_seen(self, account_id: str, at: datetime) -> None:
        """Record that the account was last seen ``at`` (an earlier time never wins)."""

    def last_seen(self, account_ids: Iterable[str]) -> dict[str, datetime]:
        """When each account was last seen (accounts never seen are left out)."""


class DynamoConnections:
    """The connections table (one item per connection, the ``by-user`` index per account)."""

    def add(self, connection: Connection) -> None:
        _item(connection).save()

    def remove(self, connection_id: str) -> Connection | None:
        table = models.Connection._get_connection()
        response = table.delete_item(connection_id, return_values="ALL_OLD")
        old = response.get("Attributes")
        if not old:
            return None
        return _connection(models.Connection.from_raw_data(old))

    def of_account(self, account_id: str) -> list[Connection]:
        return [_connection(item) for item in models.Connection.by_user.query(account_id)]

    def all(self) -> Iterator[Connection]:
        # A full pass is the point of the scheduled sweep (connections-cleanup); requests
        # read an account's connections through the by-user index.
        for item in models.Connection.scan():
            yield _connection(item)

    def count_frame(self, connection_id: str, window: int) -> tuple[Connection | None, int]:
        item = models.Connection(connection_id=connection_id)
        exists = models.Connection.connection_id.exists()
        try:  # the usual case: one more frame in the current window
            item.update(
                actions=[models.Connection.rate_count.add(1)],
                condition=exists & (models.Connection.rate_window == window),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            try:  # the first frame of a new window
                item.update(
                    actions=[
                        models.Connection.rate_window.set(window),
                        models.Connection.rate_count.set(1),
                    ],
                    condition=exists
                    & (
                        models.Connection.rate_window.does_not_exist()
                        | (models.Connection.rate_window != window)
                    ),
                )
            except UpdateError as again:
                if not condition_failed(again):
                    raise
                # no record, or another frame opened the window meanwhile: count again
                try:
                    item.update(
                        actions=[models.Connection.rate_count.add(1)],
                        condition=exists & (models.Connection.rate_window == window),
                    )
                except UpdateError as last:
                    if not condition_failed(last):
                        raise
                    return None, 0
        return _connection(item), int(item.rate_count or 0)

    def mark_seen(self, account_id: str, at: datetime) -> None:
        item = models.Presence(account_id=account_id)
        try:
            item.update(
                actions=[models.Presence.last_seen.set(at)],
                condition=models.Presence.last_seen.does_not_exist()
                | (models.Presence.last_seen < at),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise

    def last_seen(self, account_ids: Iterable[str]) -> dict[str, datetime]:
        keys = sorted(set(account_ids))
        return {item.account_id: item.last_seen for item in models.Presence.batch_get(keys)}


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
