"""The AWS endpoint: moto, plus what moto does not serve.

In front of moto's WSGI app it answers:
- the Lambda Invoke API (``POST /2015-03-31/functions/{name}/invocations``) by running
  our handler in-process; a handler exception comes back as 200 with
  ``X-Amz-Function-Error: Unhandled``, exactly what Step Functions' Retry/Catch read;
- the WebSocket ``@connections`` management API (served by the WebSocket gateway);
- ``/_localcloud/*`` hooks for people and tests (deployment facts, run a schedule now,
  the emails SES accepted: ``GET /_localcloud/ses/messages``, what the local mailbox reads).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from localcloud import ses
from localcloud.lambdas import LambdaRuntime
from localcloud.websocket import WebSocketGateway

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_CONNECTIONS = re.compile(r"^(?:/[^/@]+)?/@connections/([^/]+)$")
_SCHEDULE_RUN = re.compile(r"^/_localcloud/schedules/([^/]+)/run$")


def _json(
    start: Callable[..., Any], status: str, body: Any, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    data = json.dumps(body).encode()
    start(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            *(headers or []),
        ],
    )
    return [data]


def _aws_error(
    start: Callable[..., Any], status: str, error_type: str, message: str | None
) -> list[bytes]:
    return _json(
        start,
        status,
        {"message": message, "__type": error_type},
        [("x-amzn-ErrorType", error_type)],
    )


class AwsFront:
    """WSGI app: our additions first, then moto."""

    def __init__(
        self,
        moto_app: WSGIApp,
        runtime: LambdaRuntime,
        websockets: Callable[[], WebSocketGateway | None],
        hooks: Callable[[], Any],
    ) -> None:
        self.moto_app = moto_app
        self.runtime = runtime
        self.websockets = websockets
        self.hooks = hooks

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        match = _INVOKE.match(path)
        if match and method == "POST":
            return self._invoke(unquote(match.group(1)), environ, start)
        match = _CONNECTIONS.match(path)
        if match:
            return self._connections(method, unquote(match.group(1)), environ, start)
        if path.startswith("/_localcloud/"):
            return self._hook(method, path, start)
        return self.moto_app(environ, start)

    @staticmethod
    def _body(environ: dict[str, Any]) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return environ["wsgi.input"].read(length) if length else b""

    def _invoke(self, name: str, environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        raw = self._body(environ)
        try:
            event = json.loads(raw) if raw else {}
        except ValueError:
            return _aws_error(
                start,
                "400 Bad Request",
                "InvalidRequestContentException",
                "Could not parse request body into json",
            )
        function = self.runtime.name_of(name)
        if function not in self.runtime.functions:
            return _aws_error(
                start, "404 Not Found", "ResourceNotFoundException", f"Function not found: {name}"
            )
        if environ.get("HTTP_X_AMZ_INVOCATION_TYPE") == "Event":
            threading.Thread(
                target=self.runtime.invoke, args=(function, event), daemon=True
            ).start()
            start("202 Accepted", [("Content-Length", "0")])
            return [b""]
        result = self.runtime.invoke(function, event)
        if result.failed:
            return _json(
                start,
                "200 OK",
                result.error,
                [("X-Amz-Function-Error", "Unhandled"), ("X-Amz-Executed-Version", "$LATEST")],
            )
        return _json(start, "200 OK", result.payload, [("X-Amz-Executed-Version", "$LATEST")])

    def _connections(
        self, method: str, conn_id: str, environ: dict[str, Any], start: Callable[..., Any]
    ) -> list[bytes]:
        gateway = self.websockets()
        if gateway is None:
            return _aws_error(start, "410 Gone", "GoneException", None)
        if method == "POST":
            status = gateway.post(conn_id, self._body(environ))
            if status == 413:
                return _aws_error(
                    start, "413 Payload Too Large", "PayloadTooLargeException", "Message too large"
                )
            if status == 410:
                return _aws_error(start, "410 Gone", "GoneException", None)
            start("200 OK", [("Content-Length", "0")])
            return [b""]
        if method == "GET":
            described = gateway.describe(conn_id)
            if described is None:
                return _aws_error(start, "410 Gone", "GoneException", None)
            return _json(start, "200 OK", described)
        if method == "DELETE":
            if not gateway.close(conn_id):
                return _aws_error(start, "410 Gone", "GoneException", None)
            start("204 No Content", [])
            return [b""]
        return _aws_error(start, "405 Method Not Allowed", "MethodNotAllowedException", method)

    def _hook(self, method: str, path: str, start: Callable[..., Any]) -> list[bytes]:
        hooks = self.hooks()
        match = _SCHEDULE_RUN.match(path)
        if match and method == "POST":
            try:
                result = hooks.run_schedule(unquote(match.group(1)))
            except KeyError:
                return _json(start, "404 Not Found", {"error": f"no schedule {match.group(1)!r}"})
            return _json(start, "200 OK", result)
        if path == "/_localcloud/info" and method == "GET":
            return _json(start, "200 OK", hooks.info())
        if path == "/_localcloud/ses/messages" and method == "GET":
            return _json(start, "200 OK", ses.sent_messages())
        return _json(start, "404 Not Found", {"error": f"no hook {method} {path}"})
