"""Chalice WebSocket events → realtime service (the one-line ``on_ws_*`` handlers call these)."""

from __future__ import annotations

from typing import Any

from chalice.app import WebsocketEvent

from chalicelib.realtime import service


def _identity(event: WebsocketEvent) -> dict[str, Any]:
    raw: dict[str, Any] = event.to_dict()
    identity = raw.get("requestContext", {}).get("identity", {})
    return {"source_ip": identity.get("sourceIp"), "user_agent": identity.get("userAgent")}


def on_connect(event: WebsocketEvent) -> None:
    service.open_connection(event.connection_id, **_identity(event))


def on_disconnect(event: WebsocketEvent) -> None:
    service.close_connection(event.connection_id)


def on_message(event: WebsocketEvent) -> None:
    service.handle_message(event.connection_id, event.body)
