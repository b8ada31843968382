"""Cross-cutting core: settings, AWS clients, errors, observability, validation, events."""
