"""Platform capability: health, status and API docs."""
