"""Powertools Logger, Tracer and Metrics, created once per container.

Entry points (the API app and every function in ``functions/``) decorate their handler
with these; services log through ``logger`` too. Every invocation starts from a clean log
context: functions use ``logger.inject_lambda_context(clear_state=True)`` and the API's
middleware clears the appended keys per request (``web.middleware.start_log_context``), so
no key appended by one invocation (a saga's ``checkout_id``/``step``) reaches the next one's
lines. Powertools reads its own switches
(``POWERTOOLS_TRACE_DISABLED``, ``POWERTOOLS_METRICS_NAMESPACE``...) from the environment.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "bazaar"
METRICS_NAMESPACE = "Bazaar"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
