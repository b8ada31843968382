"""HTTP middleware for the API Lambda: body limit, error shape, request id, logs, metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Response
from chalice.app import Request

from chalicelib.core.observability import logger, metrics
from chalicelib.core.settings import get_settings
from chalicelib.web.http import CHALICE_CODES, error_body

REQUEST_ID_HEADER = "X-Request-Id"


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


def http_middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Wraps every REST request: refuses oversized bodies, normalises errors, logs one line."""
    started = time.perf_counter()
    request_id = str(request.context.get("requestId") or "")
    start_log_context(request)
    logger.set_correlation_id(request_id or None)
    limit = get_settings().max_body_bytes
    declared = _declared_length(request)
    if (declared is not None and declared > limit) or len(request.raw_body or b"") > limit:
        response = Response(
            body=error_body(
                "PAYLOAD_TOO_LARGE",
                f"Request body exceeds {limit} bytes",
                {"limit_bytes": limit},
                request_id,
            ),
            status_code=413,
            headers={"Content-Type": "application/json"},
        )
    else:
        response = _normalise_error(get_response(request), request_id)
    response.headers[REQUEST_ID_HEADER] = request_id
    elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    logger.info(
        "request",
        extra={
            "method": request.method,
            "path": request.context.get("resourcePath"),
            "status": response.status_code,
            "duration_ms": elapsed_ms,
        },
    )
    metrics.add_metric(name="ApiLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    metrics.add_metric(name=f"Api{response.status_code // 100}xx", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()
    return response


def start_log_context(request: Request) -> None:
    """A clean log context per request: no keys left by an earlier invocation.

    The API Lambda is Chalice's handler, not a Powertools-decorated function, so nothing else
    clears what a previous request (or, in the local cloud's one process, another function)
    appended; the API's own Lambda context keys are added back, as
    ``inject_lambda_context(clear_state=True)`` does for ``functions/``.
    """
    logger.clear_state()
    context = getattr(request, "lambda_context", None)
    keys = {
        name: getattr(context, attribute, None) for name, attribute in _LAMBDA_CONTEXT_KEYS.items()
    }
    logger.append_keys(**{name: value for name, value in keys.items() if value is not None})


# Powertools' names for the Lambda context's fields (what inject_lambda_context logs).
_LAMBDA_CONTEXT_KEYS = {
    "function_name": "function_name",
    "function_memory_size": "memory_limit_in_mb",
    "function_arn": "invoked_function_arn",
    "function_request_id": "aws_request_id",
}


def _normalise_error(response: Response, request_id: str) -> Response:
    """Chalice's own errors ({"Code", "Message"}) take our error shape too."""
    body: Any = response.body
    if response.status_code < 400:
        return response
    if isinstance(body, str) and body.startswith("{"):
        try:
            body = json.loads(body)
        except ValueError:
            return response
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code = CHALICE_CODES.get(body["Code"], "ERROR")
        message = body["Message"]
        if code == "INTERNAL_ERROR":
            message = "An internal error occurred"
        response.body = error_body(code, message, None, request_id)
        response.headers["Content-Type"] = "application/json"
    return response
