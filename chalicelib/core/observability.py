"""Powertools Logger, Tracer and Metrics, created once per container.

Entry points (the API app and every function in ``functions/``) decorate their handler
with these; services log through ``logger`` too. Every invocation starts from a clean log
context: functions use ``logger.inject_lambda_context(clear_state=True)`` and the API's
middleware clears the appended keys per request (``web.middleware.start_log_context``), so
no key appended by one invocation (a saga's ``checkout_id``/``step``) reaches the next one's
lines. Powertools reads its own switches
(``POWERTOOLS_TRACE_DISABLED``, ``POWERTOOLS_METRICS_NAMESPACE``...) from the environment.

``tracer`` is built on first use: creating a Powertools ``Tracer`` imports the X-Ray SDK
(and builds its sampling client), about a third of the API's cold start. Functions use it
at import (their handler decorator); the API only needs it for the X-Ray patches of boto3
and HTTP clients, so ``app.py`` calls ``start_tracing()``, which builds it only where
Powertools would trace (on Lambda, unless ``POWERTOOLS_TRACE_DISABLED``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "bazaar"
METRICS_NAMESPACE = "Bazaar"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)

if TYPE_CHECKING:
    tracer: Tracer


def _tracer() -> Tracer:
    created: Tracer | None = globals().get("tracer")
    if created is None:
        created = Tracer(service=SERVICE)
        globals()["tracer"] = created
    return created


def __getattr__(name: str) -> Any:
    """``tracer``, created (with its X-Ray SDK import) on first access."""
    if name == "tracer":
        return _tracer()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def tracing_enabled() -> bool:
    """Whether Powertools traces here: on Lambda, unless ``POWERTOOLS_TRACE_DISABLED``."""
    return not Tracer._is_tracer_disabled()


def start_tracing() -> None:
    """Create the tracer (X-Ray patches of boto3 and HTTP clients) where tracing is on."""
    if tracing_enabled():
        _tracer()
