"""Chat over HTTP (Chalice test client, real tokens, moto) and its WebSocket actions
through the frame router (``realtime.service.handle_message``) with a recording gateway."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.realtime import gateway
from tests.fakes.realtime import RecordingGateway
from tests.fixtures.http import ApiClient
from tests.integration.catalog.conftest import PASSWORD, World


class Http(ApiClient):
    def token(self, email: str) -> str:
        return self.sign_in(email, PASSWORD)


@pytest.fixture
def http(api: Any, world: World) -> Http:
    return Http(api)


@pytest.fixture
def sockets() -> Iterator[RecordingGateway]:
    fake = RecordingGateway()
    gateway.use(fake)
    yield fake
    gateway.use(None)


@pytest.fixture
def people(http: Http, world: World) -> dict[str, Any]:
    seller, shop = world.seller_with_shop()
    shopper, stranger, admin = world.person("user"), world.person("user"), world.person("admin")
    return {
        "shop": shop,
        "seller": (seller, http.token(seller.email)),
        "shopper": (shopper, http.token(shopper.email)),
        "stranger": (stranger, http.token(stranger.email)),
        "admin": (admin, http.token(admin.email)),
    }


def start(http: Http, people: dict[str, Any]) -> str:
    response = http.call(
        "POST", "/conversations", {"shop_id": people["shop"].shop_id}, people["shopper"][1]
    )
    assert response.status_code == 200, response.body
    return str(response.json_body["conversation_id"])


def frame(connection: str, **message: Any) -> None:
    from chalicelib.realtime import service

    service.handle_message(connection, json.dumps(message))


def connect(connection: str, person: Any) -> str:
    from chalicelib.realtime import service

    service.open_connection(connection, user_id=person.account_id, role=person.role)
    return connection


def test_bad_requests_are_4xx_with_the_field_named(http: Http, people: dict[str, Any]) -> None:
    token = people["shopper"][1]
    both = http.call(
        "POST",
        "/conversations",
        {"shop_id": people["shop"].shop_id, "product_id": "p", "order_id": "o"},
        token,
    )
    assert both.status_code == 422
    missing = http.call("POST", "/conversations", {}, token)
    assert missing.status_code == 422
    assert missing.json_body["error"]["details"][0]["field"] == "shop_id"
    unknown = http.call("POST", "/conversations", {"shop_id": "nope"}, token)
    assert unknown.status_code == 404
    assert http.call("GET", "/conversations?cursor=garbage", token=token).status_code == 400
    assert http.call("GET", "/conversations?unread=1", token=token).status_code == 422
    assert http.call("GET", "/conversations").status_code == 401
    assert http.call("GET", "/conversations", token=people["admin"][1]).status_code == 403


def test_messages_over_the_frame_router_reach_rest_history_and_inboxes(
    http: Http, people: dict[str, Any], sockets: RecordingGateway
) -> None:
    # Given a conversation, the shopper and the seller each on a connection
    cid = start(http, people)
    shopper, seller = people["shopper"][0], people["seller"][0]
    mine, theirs = connect("SHOPconnAA=", shopper), connect("SELLconnAA=", seller)
    # When the shopper sends two messages and the seller reads the first
    for n in range(2):
        frame(
            mine, action="chat.send", conversation_id=cid, client_message_id=f"c{n}", text=f"m{n}"
        )
    delivered = [f["message"] for f in sockets.sent_to(theirs) if f["type"] == "chat.message"]
    assert [m["text"] for m in delivered] == ["m0", "m1"]
    frame(
        theirs, action="chat.read", conversation_id=cid, up_to_message_id=delivered[0]["message_id"]
    )
    # Then the history pages newest first, and the shop has one unread
    page = http.call("GET", f"/conversations/{cid}/messages?limit=1", token=people["seller"][1])
    assert [m["text"] for m in page.json_body["items"]] == ["m1"]
    rest = http.call(
        "GET",
        f"/conversations/{cid}/messages?limit=1&cursor={page.json_body['next_cursor']}",
        token=people["seller"][1],
    )
    assert [m["text"] for m in rest.json_body["items"]] == ["m0"]
    inbox = http.call("GET", "/conversations", token=people["seller"][1]).json_body
    assert (inbox["side"], inbox["unread_total"], inbox["items"][0]["unread"]) == ("shop", 1, 1)
    receipt = next(f for f in sockets.sent_to(mine) if f["type"] == "chat.read")
    assert receipt["up_to_message_id"] == delivered[0]["message_id"]
    # And a resume from the first message replays the second only
    frame(theirs, action="chat.resume", cursors={cid: delivered[0]["message_id"]})
    tail = sockets.sent_to(theirs)[-2:]
    assert tail[0]["message"]["text"] == "m1"
    assert tail[0]["replayed"] is True
    assert (tail[1]["type"], tail[1]["replayed"]) == ("chat.resumed", 1)


def test_a_stranger_gets_404_and_error_frames(
    http: Http, people: dict[str, Any], sockets: RecordingGateway
) -> None:
    cid = start(http, people)
    token = people["stranger"][1]
    for path in (f"/conversations/{cid}", f"/conversations/{cid}/messages"):
        assert http.call("GET", path, token=token).status_code == 404
    assert http.call("PUT", f"/conversations/{cid}/block", token=token).status_code == 404
    eve = connect("EVEconnAAA=", people["stranger"][0])
    frame(
        eve,
        action="chat.send",
        conversation_id=cid,
        client_message_id="x",
        text="hi",
        request_id="q",
    )
    (answer,) = sockets.sent_to(eve)
    assert (answer["type"], answer["error"]["code"], answer["request_id"]) == (
        "error",
        "NOT_FOUND",
        "q",
    )
    bad = connect("EVEconnBBB=", people["stranger"][0])
    frame(bad, action="chat.send", conversation_id=cid)
    (invalid,) = sockets.sent_to(bad)
    assert invalid["error"]["code"] == "VALIDATION_FAILED"
    assert {d["field"] for d in invalid["error"]["details"]} == {"client_message_id"}


def test_an_admin_reads_a_conversation_only_once_reported(
    http: Http, people: dict[str, Any]
) -> None:
    cid = start(http, people)
    admin = people["admin"][1]
    assert http.call("GET", f"/conversations/{cid}", token=admin).status_code == 404
    reported = http.call(
        "POST", f"/conversations/{cid}/report", {"reason": "spam"}, people["seller"][1]
    )
    assert reported.status_code == 200
    listed = http.call("GET", "/admin/conversations/reported", token=admin).json_body
    assert [(c["conversation_id"], c["report_reason"]) for c in listed["items"]] == [(cid, "spam")]
    view = http.call("GET", f"/conversations/{cid}", token=admin).json_body
    assert view["your_side"] is None
    assert (
        http.call("GET", "/admin/conversations/reported", token=people["shopper"][1]).status_code
        == 403
    )
