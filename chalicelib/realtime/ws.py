"""Chalice WebSocket events → realtime service (the one-line ``on_ws_*`` handlers call these).

``$connect`` authenticates the caller with the same access token as the REST API, sent
as ``?token=<access token>`` (browsers cannot set headers on a WebSocket) or as an
``Authorization: Bearer`` header. Without a valid one the handshake is refused with 401.
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Response
from chalice.app import WebsocketEvent

from chalicelib.core.errors import DomainError
from chalicelib.core.observability import logger
from chalicelib.realtime import service
from chalicelib.web.access import authenticate_token, bearer_token


def _identity(raw: dict[str, Any]) -> dict[str, Any]:
    identity = raw.get("requestContext", {}).get("identity", {})
    return {"source_ip": identity.get("sourceIp"), "user_agent": identity.get("userAgent")}


def _token(raw: dict[str, Any]) -> str | None:
    query = raw.get("queryStringParameters") or {}
    if query.get("token"):
        return str(query["token"])
    headers = {str(key).lower(): value for key, value in (raw.get("headers") or {}).items()}
    return bearer_token(headers.get("authorization"))


def _refuse(status: int, code: str, message: str) -> Response:
    return Response(
        body=json.dumps({"error": {"code": code, "message": message}}),
        status_code=status,
        headers={"Content-Type": "application/json"},
    )


def on_connect(event: WebsocketEvent) -> Response | None:
    """Open the connection for the token's account, or refuse the handshake (401)."""
    raw: dict[str, Any] = event.to_dict()
    token = _token(raw)
    if token is None:
        return _refuse(401, "UNAUTHORIZED", "An access token is required (?token=...)")
    try:
        caller = authenticate_token(token)
    except DomainError as error:
        logger.info("WebSocket connect refused", extra={"code": error.code})
        return _refuse(401, error.code, error.message)
    service.open_connection(
        event.connection_id,
        user_id=caller.account_id,
        role=caller.role,
        session_id=caller.session_id or None,
        **_identity(raw),
    )
    return None


def on_disconnect(event: WebsocketEvent) -> None:
    service.close_connection(event.connection_id)


def on_message(event: WebsocketEvent) -> None:
    service.handle_message(event.connection_id, event.body)
