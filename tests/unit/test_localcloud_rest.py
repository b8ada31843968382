"""The local REST gateway routes like API Gateway: on the raw path, parameters UTF-8 decoded.

A small Chalice app behind ``localcloud.rest.RestGateway`` on a real loopback HTTP server;
requests are written with ``http.client`` so the request line is exactly what a client sends.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from chalice import Chalice
from werkzeug.serving import make_server

from localcloud.rest import RestGateway, raw_target


def build_app() -> Chalice:
    app = Chalice(app_name="rest-gateway-test")

    @app.route("/things")
    def list_things() -> dict[str, Any]:
        return {"route": "list", "query": app.current_request.query_params}

    @app.route("/things/{name}")
    def get_thing(name: str) -> dict[str, Any]:
        return {"route": "item", "name": name}

    return app


class Served:
    def __init__(self, gateway: RestGateway) -> None:
        self.gateway = gateway
        self.server = make_server("127.0.0.1", 0, gateway, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def get(self, target: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.server_port, timeout=10)
        try:
            connection.putrequest("GET", target, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            body = json.loads(response.read() or b"null")
            return response.status, body, dict(response.getheaders())
        finally:
            connection.close()

    def get_raw(self, target: bytes) -> tuple[int, dict[str, Any]]:
        """A request line with exactly these bytes (http.client refuses non-ASCII)."""
        with socket.create_connection(("127.0.0.1", self.server.server_port), timeout=10) as conn:
            conn.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            for _ in range(1000):  # bounded: the server closes after one response
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def served() -> Iterator[Served]:
    running = Served(RestGateway(build_app(), stage="api", timeout=30, memory=512))
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/things/%3F", "?"),
        ("/things/%23", "#"),
        ("/things/%0A", "\n"),
        ("/things/a%2Fb", "a/b"),
        ("/things/caf%C3%A9", "café"),
        ("/things/%E2%82%AC%20x", "€ x"),
    ],
)
def test_an_encoded_path_segment_is_a_path_parameter_decoded_as_utf8(
    served: Served, target: str, expected: str
) -> None:
    # Given a route /things/{name}
    # When a client sends the encoded segment
    status, body, _ = served.get(target)
    # Then the item route runs with the decoded value (not the list with a query string)
    assert status == 200
    assert body == {"route": "item", "name": expected}


def test_raw_utf8_in_the_request_line_routes_like_its_encoded_form(served: Served) -> None:
    # Given a client that does not percent-encode
    # When it asks for the item with the UTF-8 bytes in the request line
    status, body = served.get_raw("/things/café".encode())
    # Then the parameter is the UTF-8 text, not Latin-1 mojibake
    assert (status, body) == (200, {"route": "item", "name": "café"})


def test_the_query_string_still_reaches_the_list_route(served: Served) -> None:
    status, body, _ = served.get("/things?q=caf%C3%A9&tag=%3F")
    assert status == 200
    assert body == {"route": "list", "query": {"q": "café", "tag": "?"}}


def test_an_unknown_path_is_the_gateway_404_naming_the_decoded_path(served: Served) -> None:
    status, body, _ = served.get("/nothing/caf%C3%A9")
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"
    assert body["error"]["message"] == "No route for GET /nothing/café"


def test_until_ready_every_request_answers_503_with_a_json_error() -> None:
    # Given a gateway whose cloud is still starting
    ready = threading.Event()
    running = Served(RestGateway(build_app(), stage="api", timeout=30, memory=512, ready=ready))
    try:
        # When a request arrives before it is ready
        status, body, headers = running.get("/things/x")
        # Then it is refused with 503 and the error body; once ready it is served
        assert status == 503
        assert body["error"]["code"] == "STARTING"
        assert headers["Retry-After"] == "1"
        ready.set()
        assert running.get("/things/x")[0] == 200
    finally:
        running.stop()


def test_raw_target_without_werkzeug_keys_re_encodes_path_info() -> None:
    environ = {"PATH_INFO": "/things/?", "QUERY_STRING": "a=1"}
    assert raw_target(environ) == "/things/%3F?a=1"


def test_raw_target_drops_the_scheme_and_host_of_an_absolute_form() -> None:
    assert raw_target({"RAW_URI": "http://127.0.0.1:8000/things/x?y=1"}) == "/things/x?y=1"


def test_until_ready_a_websocket_handshake_answers_503_with_a_json_error() -> None:
    import asyncio

    import websockets
    from websockets.exceptions import InvalidStatus

    from localcloud.lambdas import LambdaRuntime
    from localcloud.websocket import WebSocketGateway

    # Given a WebSocket gateway whose cloud is still starting
    accepting = threading.Event()
    gateway = WebSocketGateway(
        LambdaRuntime("us-east-1"),
        {},
        host="127.0.0.1",
        port=0,
        api_id="test",
        stage="api",
        accepting=accepting,
    )
    gateway.start()

    async def handshake() -> Any:
        async with websockets.connect(f"ws://127.0.0.1:{gateway.port}/", open_timeout=10) as ws:
            return ws.response.status_code

    try:
        # When a client connects before it is ready
        with pytest.raises(InvalidStatus) as refused:
            asyncio.run(handshake())
        # Then the handshake is refused with 503 and the JSON error body; once ready it opens
        response = refused.value.response
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "application/json"
        assert json.loads(response.body)["error"]["code"] == "STARTING"
        accepting.set()
        assert asyncio.run(handshake()) == 101
    finally:
        gateway.stop()


def test_a_post_right_after_connect_waits_for_the_handshake_and_arrives() -> None:
    import asyncio

    import websockets

    from localcloud.lambdas import LambdaRuntime
    from localcloud.websocket import WebSocketGateway

    # Given a gateway whose $connect succeeds, and a post to the new connection made after
    # $connect answered but before the gateway serves the socket (another participant's
    # message arriving at once)
    gateway = WebSocketGateway(
        LambdaRuntime("us-east-1"),
        {"$connect": "fn"},
        host="127.0.0.1",
        port=0,
        api_id="t",
        stage="api",
    )
    statuses: list[int] = []
    opened: list[str] = []
    posters: list[threading.Thread] = []

    async def connect_ok(route_key: str, event: dict[str, Any]) -> tuple[bool, Any]:
        opened.append(event["requestContext"]["connectionId"])
        return True, {"statusCode": 200}

    serve_socket = gateway._handle

    async def post_first(socket: Any) -> None:
        poster = threading.Thread(
            target=lambda: statuses.append(gateway.post(opened[0], b'{"type": "early"}'))
        )
        posters.append(poster)
        poster.start()
        # the post either answers at once (gone) or waits for the socket to be served
        await asyncio.to_thread(poster.join, 0.5)
        await serve_socket(socket)

    gateway._invoke = connect_ok  # type: ignore[method-assign]
    gateway._handle = post_first  # type: ignore[method-assign]
    gateway.start()

    async def client() -> Any:
        async with websockets.connect(f"ws://127.0.0.1:{gateway.port}/", open_timeout=10) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))

    try:
        # When a client connects
        received = asyncio.run(client())
        # (the frame can reach the client before the poster thread records its status)
        posters[0].join(timeout=10)
        # Then the post was delivered (200), not refused as gone
        assert statuses == [200]
        assert received == {"type": "early"}
        # And a connection that never existed is gone at once
        assert gateway.post("NEVERconnAA=", b"{}") == 410
    finally:
        gateway.stop()
