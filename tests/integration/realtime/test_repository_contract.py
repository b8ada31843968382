"""The connections repository's contract: the in-memory fake and DynamoDB behave alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.caller import Role
from chalicelib.realtime.domain import Connection
from chalicelib.realtime.repository import ConnectionRepository, DynamoConnections
from tests.fakes.realtime import InMemoryConnections

OPENED = datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC)
LIFETIME = timedelta(hours=2)


@pytest.fixture(params=["in-memory", "dynamodb"])
def connections(request: pytest.FixtureRequest) -> ConnectionRepository:
    if request.param == "in-memory":
        return InMemoryConnections()
    request.getfixturevalue("aws_env")
    return DynamoConnections()


def opened(connection_id: str, account_id: str | None, *, minutes_later: int = 0) -> Connection:
    return Connection.opened(
        connection_id,
        at=OPENED + timedelta(minutes=minutes_later),
        lifetime=LIFETIME,
        account_id=account_id,
        role=Role.SELLER if account_id else None,
        source_ip="203.0.113.7" if account_id else None,
        user_agent="pytest" if account_id else None,
        session_id="sess-1" if account_id else None,
    )


def test_an_added_connection_is_found_under_its_account(connections: ConnectionRepository) -> None:
    # Given a connection of a seller
    connection = opened("AAAAconnAA=", "acc-1")
    # When it is added
    connections.add(connection)
    # Then it is the account's one connection, every field kept (expiry to the second)
    (found,) = connections.of_account("acc-1")
    assert found.connection_id == "AAAAconnAA="
    assert (found.account_id, found.role, found.source_ip, found.user_agent) == (
        "acc-1",
        Role.SELLER,
        "203.0.113.7",
        "pytest",
    )
    assert found.session_id == "sess-1"
    assert found.connected_at == OPENED
    assert found.expires_at == (OPENED + LIFETIME).replace(microsecond=0)


def test_an_accounts_connections_come_oldest_first(connections: ConnectionRepository) -> None:
    # Given three connections of one account opened out of order, and one of another account
    connections.add(opened("SECONDconn=", "acc-2", minutes_later=5))
    connections.add(opened("FIRSTconnA=", "acc-2", minutes_later=1))
    connections.add(opened("THIRDconnA=", "acc-2", minutes_later=9))
    connections.add(opened("OTHERconnA=", "acc-3"))
    # When the account's connections are listed
    listed = connections.of_account("acc-2")
    # Then they are its own, oldest first
    assert [c.connection_id for c in listed] == ["FIRSTconnA=", "SECONDconn=", "THIRDconnA="]
    assert connections.of_account("nobody") == []


def test_removing_forgets_a_connection_and_is_idempotent(connections: ConnectionRepository) -> None:
    # Given a connection
    connections.add(opened("GONEconnAA=", "acc-4"))
    # When it is removed twice, and an unknown one once
    connections.remove("GONEconnAA=")
    connections.remove("GONEconnAA=")
    connections.remove("NEVERconnA=")
    # Then it is gone and nothing failed
    assert connections.of_account("acc-4") == []
    assert [c.connection_id for c in connections.all()] == []


def test_adding_the_same_id_again_replaces_the_record(connections: ConnectionRepository) -> None:
    # Given a connection recorded for one account
    connections.add(opened("SAMEconnAA=", "acc-5"))
    # When the same connection id is recorded again for another account
    connections.add(opened("SAMEconnAA=", "acc-6", minutes_later=1))
    # Then only the newer record exists
    assert connections.of_account("acc-5") == []
    assert [c.connection_id for c in connections.of_account("acc-6")] == ["SAMEconnAA="]
    assert len(list(connections.all())) == 1


def test_all_lists_every_connection_even_without_an_account(
    connections: ConnectionRepository,
) -> None:
    # Given a signed-in connection and one recorded without an account
    connections.add(opened("USERconnAA=", "acc-7"))
    connections.add(opened("ANONconnAA=", None))
    # When every connection is listed
    everything = {c.connection_id: c for c in connections.all()}
    # Then both are there, and the anonymous one belongs to no account
    assert set(everything) == {"USERconnAA=", "ANONconnAA="}
    assert everything["ANONconnAA="].account_id is None
    assert everything["ANONconnAA="].role is None


def test_removing_a_connection_returns_its_record_once(connections: ConnectionRepository) -> None:
    # Given a connection of an account
    connections.add(opened("GONEconnAA=", "acc-9"))
    # When it is removed twice
    first = connections.remove("GONEconnAA=")
    second = connections.remove("GONEconnAA=")
    # Then the first removal returns what was recorded, the second nothing
    assert first is not None
    assert (first.connection_id, first.account_id, first.role) == (
        "GONEconnAA=",
        "acc-9",
        Role.SELLER,
    )
    assert second is None
    assert connections.of_account("acc-9") == []


def test_frames_are_counted_per_connection_and_window(connections: ConnectionRepository) -> None:
    # Given two connections
    connections.add(opened("RATEconnAA=", "acc-1"))
    connections.add(opened("RATEconnBB=", "acc-1"))
    # When the first sends three frames in window 100 and the second one frame
    counts = [connections.count_frame("RATEconnAA=", 100)[1] for _ in range(3)]
    found, other = connections.count_frame("RATEconnBB=", 100)
    # Then each counts its own, and the record read back is the connection's
    assert counts == [1, 2, 3]
    assert other == 1
    assert found is not None
    assert found.account_id == "acc-1"
    # And a new window starts again from one
    assert connections.count_frame("RATEconnAA=", 101)[1] == 1
    assert connections.count_frame("RATEconnAA=", 101)[1] == 2


def test_counting_a_frame_of_an_unknown_connection_writes_nothing(
    connections: ConnectionRepository,
) -> None:
    # When a frame of a connection without a record is counted
    result = connections.count_frame("NOPEconnAA=", 7)
    # Then there is no connection, and none was created
    assert result == (None, 0)
    assert list(connections.all()) == []


def test_last_seen_keeps_the_latest_time_per_account(connections: ConnectionRepository) -> None:
    # Given an account seen at two times, recorded out of order, and another seen once
    later = OPENED + timedelta(minutes=30)
    connections.mark_seen("acc-1", later)
    connections.mark_seen("acc-1", OPENED)
    connections.mark_seen("acc-2", OPENED)
    # When their last-seen times are read with an account never seen
    seen = connections.last_seen(["acc-1", "acc-2", "acc-3"])
    # Then the latest time wins and the unseen account is left out
    assert seen == {"acc-1": later, "acc-2": OPENED}
