"""Powertools Logger, Tracer and Metrics, created once per container.

Entry points (the API app and every function in ``functions/``) decorate their handler
with these; services log through ``logger`` too. Powertools reads its own switches
(``POWERTOOLS_TRACE_DISABLED``, ``POWERTOOLS_METRICS_NAMESPACE``...) from the environment.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "bazaar"
METRICS_NAMESPACE = "Bazaar"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
