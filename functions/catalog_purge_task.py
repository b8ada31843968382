"""Tasks of the purge workflows (infra/statemachines/{product,shop}_purge.asl.json)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.catalog.service import purge
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings

get_settings()


def run_task(event: dict[str, Any]) -> dict[str, Any]:
    """One step; the state machine passes ``task``, ``as_of`` and its progress."""
    task = event["task"]
    as_of = purge.as_of_from(event.get("as_of"))
    round_no = int(event.get("round") or 0)
    if task == "list_products":
        ids = [] if round_no >= purge.MAX_ROUNDS else purge.list_expired_products(as_of)
        return {"ids": ids, "count": len(ids)}
    if task == "purge_products":
        done = purge.purge_products(list(event["ids"]), as_of=as_of)
        metrics.add_metric(name="ProductsPurged", unit="Count", value=done)
        return {"round": round_no + 1, "purged": int(event.get("purged") or 0) + done}
    if task == "list_shops":
        ids = [] if round_no >= purge.MAX_ROUNDS else purge.list_expired_shops(as_of, limit=1)
        return {"next": ids[0] if ids else None, "count": len(ids)}
    if task == "purge_shop_products":
        return purge.purge_shop_products(str(event["shop_id"]), as_of=as_of)
    if task == "finish_shop":
        # A shop restored meanwhile is simply not finished (it left the deleted list).
        finished = purge.finish_shop(str(event["shop_id"]), as_of=as_of)["finished"]
        metrics.add_metric(name="ShopsPurged", unit="Count", value=int(finished))
        return {"round": round_no + 1, "purged": int(event.get("purged") or 0) + int(finished)}
    raise ValueError(f"unknown purge task {task!r}")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_task(event)
