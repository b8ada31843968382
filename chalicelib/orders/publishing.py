"""Publishing the orders context's events.

Saga steps publish after their change is stored. A bus failure raises (the step's
Retry publishes again; consumers deduplicate on event id) only where the event is the
step's purpose (``announce(..., required=True)``); elsewhere it is logged and counted.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import events
from chalicelib.core.errors import DependencyUnavailableError
from chalicelib.core.observability import logger, metrics


def announce(*domain_events: events.DomainEvent, required: bool = False) -> None:
    """Put events on the bus; with ``required`` a failure raises for the caller to retry."""
    if not domain_events:
        return
    try:
        events.publish(*domain_events)
    except (DependencyUnavailableError, BotoCoreError, ClientError):
        if required:
            raise
        logger.exception("Could not publish order events")
        metrics.add_metric(name="OrderEventsNotPublished", unit="Count", value=1)
