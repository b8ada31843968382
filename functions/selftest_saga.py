"""Steps of the platform self-test saga (infra/statemachines/selftest.asl.json).

It proves the orchestration wiring end to end: each step succeeds unless the run asks
it to fail, ``transient:N`` (fails the first N attempts with a retryable error) or
``business`` (a non-retryable error that triggers compensation).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.core.observability import logger, tracer

STEPS = {"reserve", "charge", "confirm", "refund", "release"}


class TransientStepError(Exception):
    """A failure worth retrying (the state machine's Retry matches this name)."""


class BusinessRuleError(Exception):
    """A failure no retry fixes; the saga compensates."""


def run_step(step: str, run: dict[str, Any], attempt: int) -> dict[str, Any]:
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}")
    plan = str((run.get("fail") or {}).get(step, ""))
    if plan == "business":
        raise BusinessRuleError(f"{step} refused by rule")
    if plan.startswith("transient:") and attempt < int(plan.split(":", 1)[1]):
        raise TransientStepError(f"{step} attempt {attempt} failed transiently")
    return {"done": True, "step": step, "attempt": attempt}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_step(event["step"], event.get("run") or {}, int(event.get("attempt") or 0))
