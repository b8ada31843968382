"""Every module with a ``bp`` blueprint of API routes, in registration order (app.py
registers their routes from ``route_index.json``; ``make routes`` writes it from these)."""

from __future__ import annotations

API_MODULES = [
    "chalicelib.platform.api",
    "chalicelib.identity.api",
    "chalicelib.catalog.api",
    "chalicelib.cart.api",
    "chalicelib.orders.api",
    "chalicelib.chat.api",
    "chalicelib.notifications.api",
    "chalicelib.logs.api",
    "chalicelib.analytics.api",
    "chalicelib.bills.api",
    "chalicelib.reviews.api",
    "chalicelib.forecasting.api",
    "chalicelib.recommendations.api",
]
# Development scaffolding (mailbox, payment simulator): local and test stages only.
DEV_MODULES = ["chalicelib.dev.mailbox", "chalicelib.dev.payments"]
