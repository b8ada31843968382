"""Routing client frames to actions (``handle_message``) on the fakes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.realtime import service
from chalicelib.realtime.domain import ClientMessage
from tests.fakes.realtime import InMemoryConnections, RecordingGateway


@pytest.fixture
def actions(monkeypatch: pytest.MonkeyPatch) -> dict[str, service.ActionHandler]:
    """The action table, restored after the test (tests may register their own)."""
    table = dict(service._actions)
    monkeypatch.setattr(service, "_actions", table)
    return table


def frame(**message: Any) -> str:
    return json.dumps(message)


def error_of(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["type"] == "error"
    error: dict[str, Any] = payload["error"]
    return error


def test_ping_answers_pong(sockets: RecordingGateway, connections: InMemoryConnections) -> None:
    # Given a client connection; When it sends a ping
    service.handle_message("c1", frame(action="ping"))
    # Then it alone gets a pong
    assert sockets.sent == [("c1", {"type": "pong"})]


def test_echo_returns_the_data_it_was_sent(
    sockets: RecordingGateway, connections: InMemoryConnections
) -> None:
    # When a client sends an echo with data
    service.handle_message("c1", frame(action="echo", data=[1, 2]))
    # Then the same data comes back
    assert sockets.sent_to("c1") == [{"type": "echo", "data": [1, 2]}]


def test_an_unknown_action_is_refused_by_name(
    sockets: RecordingGateway, connections: InMemoryConnections
) -> None:
    # When a client sends an action nobody registered
    service.handle_message("c1", frame(action="fly"))
    # Then it gets a validation error naming that action
    (reply,) = sockets.sent_to("c1")
    error = error_of(reply)
    assert error["code"] == "VALIDATION_FAILED"
    assert "fly" in error["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (json.dumps({"no": "action"}), 'Message must be a JSON object with a string "action"'),
        (json.dumps({"action": 7}), 'Message must be a JSON object with a string "action"'),
        (json.dumps(["ping"]), 'Message must be a JSON object with a string "action"'),
        ("not json", "Message must be a JSON object"),
        ("", "Message must be a JSON object"),
        (None, "Message must be a JSON object"),
    ],
)
def test_a_malformed_frame_is_answered_with_an_error(
    sockets: RecordingGateway, connections: InMemoryConnections, body: str | None, message: str
) -> None:
    # When a client sends a frame that is not {"action": "<name>", ...}
    service.handle_message("c1", body)
    # Then it gets a validation error saying what a frame must be
    (reply,) = sockets.sent_to("c1")
    assert error_of(reply) == {"code": "VALIDATION_FAILED", "message": message}


def test_a_registered_action_gets_the_whole_message(
    sockets: RecordingGateway,
    connections: InMemoryConnections,
    actions: dict[str, service.ActionHandler],
) -> None:
    # Given a capability that registered an action
    received: list[ClientMessage] = []
    service.register_action("typing", received.append)
    # When a client sends that action
    service.handle_message("c9", frame(action="typing", room="r-1"))
    # Then the handler gets the connection, the action and the full payload; nothing is sent
    assert received == [
        ClientMessage(
            connection_id="c9", action="typing", payload={"action": "typing", "room": "r-1"}
        )
    ]
    assert sockets.sent == []


def test_a_domain_error_in_an_action_goes_back_to_the_sender(
    sockets: RecordingGateway,
    connections: InMemoryConnections,
    actions: dict[str, service.ActionHandler],
) -> None:
    # Given an action that refuses its message
    from chalicelib.core.errors import ForbiddenError

    def refuse(message: ClientMessage) -> None:
        raise ForbiddenError("Not in this room")

    service.register_action("join", refuse)
    # When a client sends it
    service.handle_message("c2", frame(action="join"))
    # Then the sender gets the error's code and message
    (reply,) = sockets.sent_to("c2")
    assert error_of(reply) == {"code": "FORBIDDEN", "message": "Not in this room"}


def test_an_action_cannot_be_registered_twice(actions: dict[str, service.ActionHandler]) -> None:
    # Given the built-in ping; When another handler claims it; Then registration fails
    with pytest.raises(ValueError, match="registered twice"):
        service.register_action("ping", lambda message: None)


def test_an_error_reply_to_a_gone_connection_forgets_it(
    sockets: RecordingGateway, connections: InMemoryConnections
) -> None:
    # Given a recorded connection whose client vanished
    service.open_connection("c3", user_id="acc-1")
    sockets.gone.add("c3")
    # When a bad frame arrives from it
    service.handle_message("c3", "not json")
    # Then nothing is delivered and its record is removed
    assert sockets.sent == []
    assert connections.of_account("acc-1") == []


def test_a_frame_nested_too_deep_gets_an_error_frame_back(
    sockets: RecordingGateway, connections: InMemoryConnections
) -> None:
    # Given a frame of 1,000 nested arrays inside an echo (~2 KB)
    body = '{"action": "echo", "data": ' + "[" * 1000 + "]" * 1000 + "}"
    # When the client sends it
    service.handle_message("c1", body)
    # Then the connection stays and only an error frame naming the depth limit comes back
    (reply,) = sockets.sent_to("c1")
    error = error_of(reply)
    assert error["code"] == "JSON_TOO_DEEP"
    assert "32 levels" in error["message"]
