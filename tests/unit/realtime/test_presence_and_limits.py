"""Presence (online, last seen) and the per-connection frame limits, on the fakes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core import clock
from chalicelib.core.caller import Role
from chalicelib.realtime import service
from chalicelib.realtime.domain import ClientMessage
from tests.fakes.realtime import InMemoryConnections, RecordingGateway

T0 = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)


def test_an_account_is_online_while_a_connection_is_open_and_last_seen_when_it_closed(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    with clock.controlled(T0) as manual:
        # Given one account with two connections and another never seen
        service.open_connection("a1", user_id="ann", role=Role.USER)
        service.open_connection("a2", user_id="ann", role=Role.USER)
        assert service.presence(["ann", "bob"]) == {
            "ann": service.Presence(True, T0),
            "bob": service.Presence(False, None),
        }
        # When one closes, ann is still online; when the other closes later, she is not
        manual.advance(minutes=1)
        service.close_connection("a1")
        assert service.presence(["ann"])["ann"].online is True
        manual.advance(minutes=1)
        service.close_connection("a2")
        # Then she was last seen when her last connection closed
        assert service.presence(["ann"])["ann"] == (False, T0 + timedelta(minutes=2))


def test_a_connection_gone_without_disconnect_is_removed_and_marks_last_seen(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    with clock.controlled(T0):
        # Given a connection API Gateway no longer has (no $disconnect came)
        service.open_connection("dead", user_id="ann", role=Role.USER)
        sockets.gone.add("dead")
        # When something is sent to the account
        delivered = service.send_to_accounts(["ann"], {"type": "note"})
        # Then nothing was delivered, the record is gone, and she was last seen then
        assert delivered == 0
        assert connections.of_account("ann") == []
        assert service.presence(["ann"])["ann"] == (False, T0)


def test_send_to_accounts_skips_the_senders_connection_and_repeats(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    service.open_connection("a1", user_id="ann")
    service.open_connection("a2", user_id="ann")
    service.open_connection("b1", user_id="bob")
    assert service.send_to_accounts(["ann", "bob", "ann"], {"type": "x"}, skip="a1") == 2
    assert sorted(conn for conn, _ in sockets.sent) == ["a2", "b1"]


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch):
    from chalicelib.core.settings import reset_settings

    monkeypatch.setenv("BAZAAR_WEBSOCKET_RATE_LIMIT_FRAMES", "3")
    monkeypatch.setenv("BAZAAR_WEBSOCKET_RATE_LIMIT_WINDOW_SECONDS", "10")
    monkeypatch.setenv("BAZAAR_WEBSOCKET_MAX_FRAME_BYTES", "1024")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


@pytest.mark.usefixtures("limits")
def test_a_flood_gets_rate_limited_error_frames_then_is_served_again(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    with clock.controlled(T0) as manual:
        service.open_connection("c1", user_id="ann")
        # When five pings come within one window
        for _ in range(5):
            service.handle_message("c1", json.dumps({"action": "ping", "request_id": "r"}))
        # Then three pongs and two RATE_LIMITED frames saying when to retry
        answers = [payload for _, payload in sockets.sent]
        assert [a["type"] for a in answers] == ["pong"] * 3 + ["error"] * 2
        assert answers[-1]["error"]["code"] == "RATE_LIMITED"
        assert answers[-1]["error"]["retry_after"] == 10
        assert answers[-1]["request_id"] == "r"
        # And in the next window it is served again
        manual.advance(seconds=10)
        service.handle_message("c1", json.dumps({"action": "ping"}))
        assert sockets.sent[-1] == ("c1", {"type": "pong"})


@pytest.mark.usefixtures("limits")
def test_an_oversized_frame_gets_an_error_frame_unread(
    connections: InMemoryConnections, sockets: RecordingGateway
) -> None:
    service.open_connection("c1", user_id="ann")
    service.handle_message("c1", json.dumps({"action": "echo", "data": "x" * 2000}))
    ((_, payload),) = sockets.sent
    assert payload["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert payload["error"]["details"]["limit"] == 1024


def test_actions_see_the_account_of_the_connection(
    connections: InMemoryConnections, sockets: RecordingGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[ClientMessage] = []
    monkeypatch.setattr(service, "_actions", {"who": seen.append})
    service.open_connection("c1", user_id="ann", role=Role.SELLER)
    service.handle_message("c1", json.dumps({"action": "who"}))
    assert (seen[0].account_id, seen[0].role) == ("ann", Role.SELLER)
