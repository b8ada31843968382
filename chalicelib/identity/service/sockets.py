"""Ending sessions also closes their open WebSockets (through realtime's service).

A WebSocket is authenticated once, at ``$connect``; later frames carry no token. So when
a session ends here (a sign-out, a revoked or evicted session) its connections are closed
by the server, and when every session ends (a password change or reset, a ban) all of the
account's connections are. Best effort: the session is already ended in the table; a
failure to reach API Gateway is logged and counted (``WebSocketCloseFailed``), and the
hourly connections sweep removes what API Gateway reports gone.
"""

from __future__ import annotations

from chalicelib.core.observability import logger, metrics
from chalicelib.realtime import service as realtime_service


def close_session(account_id: str, session_id: str) -> None:
    """Close the connections opened with this session's access tokens."""
    try:
        realtime_service.disconnect_session(account_id, session_id)
    except Exception:  # noqa: BLE001 - best effort: the session has already ended
        logger.exception("Could not close the session's connections")
        metrics.add_metric(name="WebSocketCloseFailed", unit="Count", value=1)


def close_account(account_id: str) -> None:
    """Close every open connection of the account (all of its sessions ended)."""
    try:
        realtime_service.disconnect_account(account_id)
    except Exception:  # noqa: BLE001 - best effort: the sessions have already ended
        logger.exception("Could not close the account's connections")
        metrics.add_metric(name="WebSocketCloseFailed", unit="Count", value=1)
