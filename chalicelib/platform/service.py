"""Health of the resources the API depends on, and the platform's status report."""

from __future__ import annotations

from typing import Any

from chalicelib.core.settings import get_settings
from chalicelib.platform import repository
from chalicelib.platform.domain import Health, StatusReport


def check_health() -> Health:
    """Checks each table and the event bus the API needs; ok only if all answer."""
    settings = get_settings()
    dependencies = repository.get()
    checks = {
        f"table:{table}": dependencies.table(table)
        for table in (settings.connections_table, settings.event_archive_table)
    }
    checks[f"bus:{settings.event_bus_name}"] = dependencies.bus(settings.event_bus_name)
    return Health(checks=checks)


def status_report() -> StatusReport:
    """The service, its stage, and one component per capability: its tables answer or not.

    Each component is ``{"ok": bool, "checks": {"table:<name>": {"ok", "latency_ms" |
    "error"}}}`` (the platform's component also checks the event bus). One DescribeTable per
    table, so it stays cheap.
    """
    settings = get_settings()
    dependencies = repository.get()
    tables = {
        "platform": (
            settings.connections_table,
            settings.presence_table,
            settings.event_archive_table,
            settings.idempotency_table,
        ),
        "identity": (settings.identity_table,),
        "catalog": (settings.catalog_table, settings.search_table),
        "cart": (settings.carts_table,),
        "orders": (settings.orders_table,),
        "chat": (settings.chat_table,),
        "reviews": (settings.reviews_table,),
    }
    components: dict[str, dict[str, Any]] = {}
    for name, names in tables.items():
        checks = {f"table:{table}": dependencies.table(table) for table in names}
        if name == "platform":
            checks[f"bus:{settings.event_bus_name}"] = dependencies.bus(settings.event_bus_name)
        components[name] = {
            "ok": all(check.ok for check in checks.values()),
            "checks": {key: check.as_dict() for key, check in checks.items()},
        }
    return StatusReport(service=settings.service_name, stage=settings.stage, components=components)
