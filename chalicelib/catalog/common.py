"""Small helpers every catalog service uses: ids, slugs, publishing."""

from __future__ import annotations

import re
import unicodedata
import uuid

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import events
from chalicelib.core.errors import DependencyUnavailableError
from chalicelib.core.observability import logger, metrics

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def new_id() -> str:
    """A random identifier (hex, 32 characters)."""
    return uuid.uuid4().hex


def slugify(text: str, *, max_length: int = 80) -> str:
    """``"Red Shoes!"`` → ``"red-shoes"`` (ASCII, lower-case, hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or "item"


def publish(*domain_events: events.DomainEvent) -> None:
    """Announce events after the change they describe is stored.

    A bus failure is logged and counted but does not fail the request: the change is
    committed, and the search index is re-synced by the next event for that product.
    """
    try:
        events.publish(*domain_events)
    except (DependencyUnavailableError, BotoCoreError, ClientError):
        logger.exception("Could not publish catalog events")
        metrics.add_metric(name="CatalogEventsNotPublished", unit="Count", value=1)
