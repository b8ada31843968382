"""Health of the resources the API depends on, and the platform's status report."""

from __future__ import annotations

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
    """The service and stage this API runs as (no component reports a status yet)."""
    settings = get_settings()
    return StatusReport(service=settings.service_name, stage=settings.stage)
