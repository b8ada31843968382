"""Every module that defines domain events, so the registry is complete where it must be
(the event archive validates each known type; the schema export documents them all)."""

from __future__ import annotations

import importlib

EVENT_MODULES = [
    "chalicelib.media.events",
    "chalicelib.catalog.events",
    "chalicelib.cart.events",
    "chalicelib.identity.events",
    "chalicelib.orders.events",
    "chalicelib.chat.events",
    "chalicelib.bills.events",
    "chalicelib.reviews.events",
]


def load_all() -> None:
    """Import every event module (registers their types in ``core.events.EVENT_TYPES``)."""
    for module in EVENT_MODULES:
        importlib.import_module(module)
