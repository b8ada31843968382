"""Housekeeping of the connections table (run on a schedule, never on a request path)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.realtime import gateway
from chalicelib.realtime.models import Connection


def remove_stale_connections() -> dict[str, int]:
    """Delete records past their TTL or whose connection API Gateway reports gone."""
    checked = removed = 0
    now = datetime.now(UTC)
    for connection in Connection.scan():  # a full pass is the point of this job
        checked += 1
        if connection.expires_at <= now or not gateway.is_alive(connection.connection_id):
            gateway.forget(connection.connection_id)
            removed += 1
    return {"checked": checked, "removed": removed}
