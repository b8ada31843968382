"""The REST API as API Gateway's Lambda proxy integration serves it, into the Chalice app.

Chalice's own ``LocalGateway`` builds the proxy events (what ``chalice local`` does).
Unknown routes answer 404 with Bazaar's error body, as the template's
``MISSING_AUTHENTICATION_TOKEN`` gateway response makes API Gateway do.

Routing follows API Gateway, not the WSGI server: routes match the *raw* request path
(``/products/%3F`` is the product route, not the list with an empty query), and each path
parameter reaches the handler percent-decoded as UTF-8 (``caf%C3%A9`` is ``café``).
Until the local cloud is ready (demo data seeded) every request answers 503.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from chalice.config import Config
from chalice.local import ForbiddenError, LocalGateway

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


def raw_target(environ: dict[str, Any]) -> str:
    """The request target as the client sent it (path and query, percent-encoding kept).

    WSGI's ``PATH_INFO`` is already percent-decoded (``%3F`` became ``?``); werkzeug also
    keeps the request line in ``RAW_URI`` (latin-1 text of the bytes, UTF-8 encoded again,
    which is undone here). Bytes outside printable ASCII are percent-encoded, so a path sent
    with raw UTF-8 routes like its encoded form, as on API Gateway.
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        path = urllib.parse.quote(environ.get("PATH_INFO", "/") or "/", safe="/")
        query = environ.get("QUERY_STRING") or ""
        return f"{path}?{query}" if query else path
    data = (
        raw.encode("latin-1")
        .decode("utf-8", "surrogateescape")
        .encode("latin-1", "surrogateescape")
    )
    target = "".join(chr(b) if 0x20 < b < 0x7F else f"%{b:02X}" for b in data)
    if "://" in target.split("?", 1)[0]:  # absolute form: http://host:port/path?query
        parts = urllib.parse.urlsplit(target)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return target.split("#", 1)[0] or "/"


def decode_parameter(value: str) -> str:
    """A path parameter as API Gateway passes it: percent-decoded as UTF-8."""
    return urllib.parse.unquote(value, encoding="utf-8", errors="replace")


def _error(code: str, message: str, request_id: str) -> bytes:
    body = {"error": {"code": code, "message": message, "details": None, "request_id": request_id}}
    return json.dumps(body).encode()


class _ProxyGateway(LocalGateway):
    """Chalice's LocalGateway, adding the request context fields API Gateway sends."""

    def __init__(self, app: Any, config: Config, stage: str) -> None:
        super().__init__(app, config)
        self.stage = stage
        self.request_id = ""

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: Any) -> Any:
        event = super()._generate_lambda_event(method, path, headers, body)
        context = event["requestContext"]
        event["pathParameters"] = {
            name: decode_parameter(value) for name, value in event["pathParameters"].items()
        }
        context["path"] = decode_parameter(context["path"])
        context["requestId"] = self.request_id
        context["stage"] = self.stage
        context.setdefault("identity", {})["userAgent"] = headers.get("user-agent")
        return event


class RestGateway:
    """WSGI app serving a Chalice app's routes."""

    def __init__(
        self,
        chalice_app: Any,
        *,
        stage: str,
        timeout: int,
        memory: int,
        ready: threading.Event | None = None,
    ) -> None:
        config = Config.create(
            chalice_app=chalice_app,
            chalice_stage=stage,
            lambda_timeout=timeout,
            lambda_memory_size=memory,
            function_name="api_handler",
        )
        self.gateway = _ProxyGateway(chalice_app, config, stage)
        # Chalice keeps the current request on the app object: one request at a time,
        # like a single warm Lambda container.
        self._lock = threading.Lock()
        # Set once the local cloud is ready (demo data seeded); until then: 503.
        self.ready = ready if ready is not None else threading.Event()
        if ready is None:
            self.ready.set()

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = raw_target(environ)
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        request_id = str(uuid.uuid4())
        if not self.ready.is_set():
            return self._send(
                start,
                503,
                {"Content-Type": "application/json", "Retry-After": "1"},
                _error("STARTING", "The local cloud is starting; try again shortly", request_id),
            )
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            return self._send(
                start,
                413,
                {"Content-Type": "application/json"},
                _error("PAYLOAD_TOO_LARGE", "Request body too large", request_id),
            )
        body = environ["wsgi.input"].read(length) if length else None
        try:
            with self._lock:
                self.gateway.request_id = request_id
                response = self.gateway.handle_request(
                    method=method, path=path, headers=headers, body=body
                )
        except ForbiddenError:
            clean = decode_parameter(path.split("?", 1)[0])
            return self._send(
                start,
                404,
                {"Content-Type": "application/json", "X-Request-Id": request_id},
                _error("NOT_FOUND", f"No route for {method} {clean}", request_id),
            )
        raw = response.get("body") or b""
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(raw)
        else:
            payload = raw.encode() if isinstance(raw, str) else raw
        out_headers = dict(response.get("headers") or {})
        for key, values in (response.get("multiValueHeaders") or {}).items():
            out_headers[key] = ", ".join(values)
        return self._send(start, int(response["statusCode"]), out_headers, payload)

    @staticmethod
    def _send(
        start: Callable[..., Any], status: int, headers: dict[str, str], body: bytes
    ) -> list[bytes]:
        from http import HTTPStatus

        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        start(f"{status} {phrase}", [*headers.items(), ("Content-Length", str(len(body)))])
        return [body]
