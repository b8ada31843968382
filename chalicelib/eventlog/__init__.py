"""Event archive: every domain event on the bus, stored once (audit, analytics, replay)."""
