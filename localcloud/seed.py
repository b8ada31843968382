"""Demo data for ``make dev``. Capabilities add their own seeding here as they land."""

from __future__ import annotations

from typing import Any


def seed_demo_data() -> dict[str, Any]:
    """Create demo data through the services (never raw table writes); returns counts."""
    return {}
