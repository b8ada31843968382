"""Steps of the checkout saga (infra/statemachines/checkout_saga.asl.json).

Each invocation names its step; exceptions propagate with their class names, which the
state machine's Retry (transient) and Catch (compensate) match. On the local and test
stages the step table is wrapped with the fault plans (``chalicelib.orders.faults``) and
the payment simulator is installed; the steps themselves know neither.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import get_settings
from chalicelib.orders.service import saga

steps = saga.STEPS
if get_settings().stage in ("local", "test"):
    from chalicelib.dev import payments as dev_payments
    from chalicelib.orders import faults

    dev_payments.install()
    steps = faults.inject(steps)
run_step = saga.runner(steps)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(checkout_id=event.get("checkout_id"), step=event.get("step"))
    return run_step(event)
