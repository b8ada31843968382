"""The HTTP edge shared by every capability's API module (Chalice-specific)."""
