"""Standalone Lambda handlers: thin entry points that call chalicelib."""
