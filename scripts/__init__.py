"""Developer scripts (packaging, schema export)."""
