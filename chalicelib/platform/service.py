"""Health of the resources the API depends on, and the status report later issues extend."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import aws
from chalicelib.core.settings import get_settings

StatusProvider = Callable[[], dict[str, Any]]
Check = Callable[[], object]
_status_providers: dict[str, StatusProvider] = {}


def register_status(component: str, provider: StatusProvider) -> None:
    """Add a component (posts, reviews, chats…) to ``GET /status``."""
    _status_providers[component] = provider


def _timed(check: Check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except (BotoCoreError, ClientError) as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_health() -> dict[str, Any]:
    """Checks each table and the event bus the API needs; ``ok`` only if all answer."""
    settings = get_settings()
    dynamodb = aws.client("dynamodb")
    checks: dict[str, Any] = {}
    for table in (settings.connections_table, settings.event_archive_table):
        checks[f"table:{table}"] = _timed(
            functools.partial(dynamodb.describe_table, TableName=table)
        )
    events = aws.client("events")
    checks[f"bus:{settings.event_bus_name}"] = _timed(
        functools.partial(events.describe_event_bus, Name=settings.event_bus_name)
    )
    return {"ok": all(check["ok"] for check in checks.values()), "checks": checks}


def status_report() -> dict[str, Any]:
    """Per-component status; each registered provider contributes one entry."""
    settings = get_settings()
    components: dict[str, Any] = {}
    for name, provider in sorted(_status_providers.items()):
        try:
            components[name] = provider()
        except (BotoCoreError, ClientError) as exc:
            components[name] = {"ok": False, "error": type(exc).__name__}
    return {"service": settings.service_name, "stage": settings.stage, "components": components}
