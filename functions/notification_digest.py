"""Scheduled: email each receiver one digest of the chat notifications still unread after
the delay (``BAZAAR_CHAT_DIGEST_DELAY_SECONDS``), never the same notification twice."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.notifications.service import digest

get_settings()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    result = digest.send_digests()
    metrics.add_metric(name="ChatDigestEmails", unit="Count", value=result["emails"])
    return result
