"""Connection use cases on the fakes: open, close, disconnect, deliver, sweep."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.core import clock
from chalicelib.core.caller import Role
from chalicelib.realtime import service
from tests.fakes.realtime import InMemoryConnections, RecordingGateway

START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def test_opening_records_who_connected_until_the_lifetime_ends(
    connections: InMemoryConnections,
) -> None:
    # Given the clock at START; When a seller opens a connection with a long User-Agent
    with clock.controlled(START):
        opened = service.open_connection(
            "c1", user_id="acc-1", role="seller", source_ip="203.0.113.7", user_agent="x" * 300
        )
    # Then it is recorded for the account, expiring after the configured lifetime (2 h)
    assert connections.of_account("acc-1") == [opened]
    assert opened.role is Role.SELLER
    assert opened.connected_at == START
    assert (opened.expires_at - START).total_seconds() == 7200
    assert opened.user_agent == "x" * 256


def test_closing_twice_is_harmless(connections: InMemoryConnections) -> None:
    # Given an open connection; When $disconnect arrives twice
    service.open_connection("c1", user_id="acc-1")
    service.close_connection("c1")
    service.close_connection("c1")
    # Then the record is gone
    assert connections.items == {}


def test_disconnecting_an_account_closes_only_its_connections(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    # Given two connections of a banned account and one of someone else
    service.open_connection("b1", user_id="banned")
    service.open_connection("b2", user_id="banned")
    service.open_connection("o1", user_id="other")
    # When the account is disconnected
    closed = service.disconnect_account("banned")
    # Then both of its sockets were closed server-side and forgotten; the other one stays
    assert closed == 2
    assert sorted(sockets.closed) == ["b1", "b2"]
    assert set(connections.items) == {"o1"}


def test_disconnecting_a_session_closes_only_that_sessions_connections(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    # Given an account with sockets from two sign-in sessions, and someone else's
    service.open_connection("s1a", user_id="acc", session_id="s1")
    service.open_connection("s1b", user_id="acc", session_id="s1")
    service.open_connection("s2a", user_id="acc", session_id="s2")
    service.open_connection("o1", user_id="other", session_id="s1")
    # When session s1 ends
    closed = service.disconnect_session("acc", "s1")
    # Then its two sockets were closed server-side and forgotten; the rest stay
    assert closed == 2
    assert sorted(sockets.closed) == ["s1a", "s1b"]
    assert set(connections.items) == {"s2a", "o1"}
    assert connections.items["s2a"].session_id == "s2"
    # And ending it again closes nothing
    assert service.disconnect_session("acc", "s1") == 0


def test_sending_to_a_gone_connection_forgets_it(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    # Given a recorded connection API Gateway no longer holds
    service.open_connection("g1", user_id="acc-2")
    sockets.gone.add("g1")
    # When a message is sent to it
    delivered = service.send("g1", {"type": "x"})
    # Then it is not delivered and its record is removed
    assert delivered is False
    assert connections.items == {}


def test_sending_to_an_account_reaches_each_open_connection(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    # Given an account with two live connections and one that vanished
    for conn_id in ("one", "two", "gone"):
        service.open_connection(conn_id, user_id="acc-3")
    sockets.gone.add("gone")
    # When a message is sent to the account
    reached = service.send_to_account("acc-3", {"type": "hi"})
    # Then the live ones got it and the vanished one was forgotten
    assert reached == 2
    assert sorted(conn_id for conn_id, _ in sockets.sent) == ["one", "two"]
    assert [c.connection_id for c in connections.of_account("acc-3")] == ["one", "two"]


def test_the_sweep_removes_expired_and_gone_connections(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    # Given a connection past its lifetime, one API Gateway lost, and a live one
    with clock.controlled(START) as manual:
        service.open_connection("old", user_id="acc-4")
        manual.advance(hours=1)
        service.open_connection("lost", user_id="acc-4")
        service.open_connection("live", user_id="acc-4")
        sockets.gone.add("lost")
        manual.advance(hours=1, seconds=30)
        # When the sweep runs
        result = service.remove_stale_connections()
    # Then it checked all three and removed the expired and the lost one
    assert result == {"checked": 3, "removed": 2}
    assert set(connections.items) == {"live"}
