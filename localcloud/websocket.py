"""API Gateway WebSocket API emulation, including the ``@connections`` management API.

Follows the documented behaviour of API Gateway WebSocket APIs:
- ``$connect`` gets the handshake's headers and query string; a non-2xx answer (or a
  handler error) rejects the handshake with that status.
- Each client frame is routed by the route selection expression
  (``$request.body.action``): a route of that key if one exists, else ``$default``;
  with neither, the client gets ``{"message": "Forbidden", ...}``. A handler error sends
  ``{"message": "Internal server error", ...}``, as API Gateway does.
- ``$disconnect`` runs after the connection closed, from either side (best effort).
- ``@connections/{id}``: POST sends data, GET describes, DELETE closes; unknown or
  closed ids answer 410 ``GoneException``. Messages are limited to 128 KB.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from localcloud.lambdas import LambdaRuntime

MAX_MESSAGE_BYTES = 128 * 1024
# How long a post to a connection whose $connect succeeded waits for its handshake to finish.
OPENING_WAIT_SECONDS = 5.0


@dataclass
class _Connection:
    connection_id: str
    socket: ServerConnection
    source_ip: str
    user_agent: str
    connected_at: float = field(default_factory=time.time)
    last_active_at: float = field(default_factory=time.time)


def _epoch_ms(value: float | None = None) -> int:
    return int((value if value is not None else time.time()) * 1000)


def _http_time(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _iso(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")


def new_connection_id() -> str:
    """An id shaped like API Gateway's (12 characters ending in '=')."""
    return secrets.token_urlsafe(9)[:11].replace("-", "A").replace("_", "B") + "="


class WebSocketGateway:
    """Serves one WebSocket API: routes keyed like ``$connect`` → function names."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        routes: dict[str, str],
        *,
        host: str,
        port: int,
        api_id: str,
        stage: str,
        selection_key: str = "action",
        accepting: threading.Event | None = None,
    ) -> None:
        self.runtime = runtime
        # Set once the local cloud is ready (demo data seeded); until then handshakes get 503.
        self.accepting = accepting if accepting is not None else threading.Event()
        if accepting is None:
            self.accepting.set()
        self.routes = routes
        self.host = host
        self.port = port
        self.api_id = api_id
        self.stage = stage
        self.selection_key = selection_key
        self._connections: dict[str, _Connection] = {}
        # Connections whose $connect succeeded and whose handshake is finishing: their record
        # exists (others may already post to them), the socket is not served yet.
        self._opening: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None

    # ---------- lifecycle ----------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ws-gateway", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("WebSocket gateway did not start")
        if self._start_error is not None:
            raise self._start_error

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._server = self._loop.run_until_complete(self._serve())
            self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._start_error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _serve(self) -> Server:
        return await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._connect,
            max_size=MAX_MESSAGE_BYTES,
            ping_interval=None,
        )

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None or not loop.is_running():
            return

        async def shutdown() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def domain_name(self) -> str:
        return f"{self.host}:{self.port}"

    # ---------- events ----------
    def _context(
        self, route_key: str, event_type: str, conn_id: str, **extra: Any
    ) -> dict[str, Any]:
        now = time.time()
        conn = self._connections.get(conn_id)
        context = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": _http_time(now),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": _epoch_ms(conn.connected_at if conn else now),
            "requestTimeEpoch": _epoch_ms(now),
            "requestId": uuid.uuid4().hex[:16],
            "domainName": self.domain_name,
            "connectionId": conn_id,
            "apiId": self.api_id,
        }
        if conn is not None:
            context["identity"] = {"sourceIp": conn.source_ip, "userAgent": conn.user_agent}
        context.update(extra)
        return context

    async def _invoke(self, route_key: str, event: dict[str, Any]) -> tuple[bool, Any]:
        function = self.routes.get(route_key)
        if function is None:
            return False, None
        result = await asyncio.to_thread(self.runtime.invoke, function, event)
        return not result.failed, result.payload

    async def _connect(self, socket: ServerConnection, request: Request) -> Response | None:
        if not self.accepting.is_set():
            starting = {
                "error": {
                    "code": "STARTING",
                    "message": "The local cloud is starting; try again shortly",
                    "details": None,
                    "request_id": str(uuid.uuid4()),
                }
            }
            response = socket.respond(503, json.dumps(starting))
            del response.headers["Content-Type"]
            response.headers["Content-Type"] = "application/json"
            response.headers["Retry-After"] = "1"
            return response
        conn_id = new_connection_id()
        _, _, query = request.path.partition("?")
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            single[key] = value
            multi.setdefault(key, []).append(value)
        headers = dict(request.headers.raw_items())
        multi_headers: dict[str, list[str]] = {}
        for key, value in request.headers.raw_items():
            multi_headers.setdefault(key, []).append(value)
        source_ip = str(socket.remote_address[0]) if socket.remote_address else "127.0.0.1"
        user_agent = request.headers.get("User-Agent", "")
        context = self._context("$connect", "CONNECT", conn_id)
        context["identity"] = {"sourceIp": source_ip, "userAgent": user_agent}
        event = {
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": single or None,
            "multiValueQueryStringParameters": multi or None,
            "requestContext": context,
            "isBase64Encoded": False,
        }
        status = 200
        if "$connect" in self.routes:
            ok, payload = await self._invoke("$connect", event)
            status = (
                int(payload.get("statusCode", 200)) if ok and isinstance(payload, dict) else 200
            )
            if not ok:
                status = 500
        if not 200 <= status < 300:
            body = "Forbidden" if status in (401, 403) else "Connection rejected"
            return socket.respond(status, body + "\n")
        with self._lock:
            self._opening[conn_id] = threading.Event()
        socket.bazaar_connection = _Connection(  # type: ignore[attr-defined]
            connection_id=conn_id, socket=socket, source_ip=source_ip, user_agent=user_agent
        )
        return None

    async def _handle(self, socket: ServerConnection) -> None:
        conn: _Connection = socket.bazaar_connection  # type: ignore[attr-defined]
        with self._lock:
            self._connections[conn.connection_id] = conn
            opening = self._opening.pop(conn.connection_id, None)
        if opening is not None:
            opening.set()
        close_code, reason = 1000, ""
        try:
            async for frame in socket:
                conn.last_active_at = time.time()
                await self._message(conn, frame)
        except ConnectionClosed:
            pass
        finally:
            if socket.close_code is not None:
                close_code, reason = socket.close_code, socket.close_reason or ""
            context = self._context(
                "$disconnect",
                "DISCONNECT",
                conn.connection_id,
                disconnectStatusCode=close_code,
                disconnectReason=reason,
            )
            with self._lock:
                self._connections.pop(conn.connection_id, None)
            if "$disconnect" in self.routes:
                await self._invoke(
                    "$disconnect",
                    {"headers": {}, "requestContext": context, "isBase64Encoded": False},
                )

    def _route_for(self, frame: str | bytes) -> str:
        if isinstance(frame, str):
            try:
                body = json.loads(frame)
            except (ValueError, RecursionError):  # unreadable (or absurdly deep): $default
                body = None
            if isinstance(body, dict):
                key = body.get(self.selection_key)
                if isinstance(key, str) and key in self.routes and not key.startswith("$"):
                    return key
        return "$default"

    async def _message(self, conn: _Connection, frame: str | bytes) -> None:
        route_key = self._route_for(frame)
        context = self._context(
            route_key, "MESSAGE", conn.connection_id, messageId=uuid.uuid4().hex[:16]
        )
        event = {
            "requestContext": context,
            "body": base64.b64encode(frame).decode() if isinstance(frame, bytes) else frame,
            "isBase64Encoded": isinstance(frame, bytes),
        }
        if route_key not in self.routes:
            await self._reply_error(conn, "Forbidden", context["requestId"])
            return
        ok, _ = await self._invoke(route_key, event)
        if not ok:
            await self._reply_error(conn, "Internal server error", context["requestId"])

    async def _reply_error(self, conn: _Connection, message: str, request_id: str) -> None:
        payload = {"message": message, "connectionId": conn.connection_id, "requestId": request_id}
        with contextlib.suppress(ConnectionClosed):
            await conn.socket.send(json.dumps(payload))

    # ---------- @connections management API (called from other threads) ----------
    def _run_on_loop(self, coroutine: Awaitable[Any]) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)  # type: ignore[arg-type]

    def _live(self, connection_id: str) -> _Connection | None:
        """The open connection; one whose $connect succeeded a moment ago is waited for
        (bounded): on API Gateway a connection is open once $connect answered 2xx, and a
        message sent to it at once (another participant's, a receipt) must not be lost."""
        with self._lock:
            conn = self._connections.get(connection_id)
            opening = self._opening.get(connection_id)
        if conn is not None or opening is None:
            return conn
        opening.wait(timeout=OPENING_WAIT_SECONDS)
        with self._lock:
            conn = self._connections.get(connection_id)
            if conn is None:  # the handshake never finished
                self._opening.pop(connection_id, None)
        return conn

    def post(self, connection_id: str, data: bytes) -> int:
        """POST @connections/{id}: 200, 410 (gone) or 413 (too large)."""
        if len(data) > MAX_MESSAGE_BYTES:
            return 413
        conn = self._live(connection_id)
        if conn is None:
            return 410
        try:
            message: str | bytes = data.decode("utf-8")
        except UnicodeDecodeError:
            message = data
        try:
            self._run_on_loop(conn.socket.send(message))
        except ConnectionClosed:
            return 410
        return 200

    def describe(self, connection_id: str) -> dict[str, Any] | None:
        """GET @connections/{id}: the connection's description, None if gone."""
        conn = self._live(connection_id)
        if conn is None:
            return None
        # Wire names of the GetConnection output (boto3 shows them capitalised).
        return {
            "connectedAt": _iso(conn.connected_at),
            "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
            "lastActiveAt": _iso(conn.last_active_at),
        }

    def close(self, connection_id: str) -> bool:
        """DELETE @connections/{id}: close it (``$disconnect`` follows); False if gone."""
        conn = self._live(connection_id)
        if conn is None:
            return False
        try:
            self._run_on_loop(conn.socket.close(1000, "Closed by server"))
        except ConnectionClosed:
            return False
        return True

    def connection_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._connections)
