"""The checkout saga's state machine, seen from the use cases: start an execution once,
answer the task that waits for a payment (``.waitForTaskToken``).

``get()`` gives Step Functions; use-case tests swap in a fake with ``use(fake)``.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import aws
from chalicelib.core.errors import DependencyUnavailableError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings

# What Step Functions answers for a token nobody waits on any more.
STALE_TOKEN = ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")


class Workflow(Protocol):
    def start(self, name: str, saga_input: dict[str, Any]) -> None:
        """Start the execution ``name``; a second start of that name is a no-op.

        Raises DependencyUnavailableError when it cannot be started.
        """
        ...

    def succeed(self, task_token: str, output: dict[str, Any]) -> None:
        """Resume the waiting task with ``output`` (a stale token is ignored)."""
        ...

    def fail(self, task_token: str, error: str, cause: str) -> None:
        """Fail the waiting task with ``error`` (what the Catch matches; stale: ignored)."""
        ...


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "")


class StepFunctionsWorkflow:
    """The checkout state machine on Step Functions."""

    def start(self, name: str, saga_input: dict[str, Any]) -> None:
        arn = get_settings().checkout_state_machine_arn
        if not arn:
            raise DependencyUnavailableError("No checkout state machine is configured")
        try:
            aws.client("stepfunctions").start_execution(
                stateMachineArn=arn, name=name, input=json.dumps(saga_input)
            )
        except ClientError as error:
            if _code(error) == "ExecutionAlreadyExists":
                return
            raise DependencyUnavailableError("Checkout is unavailable; try again shortly") from None
        except BotoCoreError:
            raise DependencyUnavailableError("Checkout is unavailable; try again shortly") from None

    def succeed(self, task_token: str, output: dict[str, Any]) -> None:
        try:
            aws.client("stepfunctions").send_task_success(
                taskToken=task_token, output=json.dumps(output)
            )
        except ClientError as error:
            self._stale(error)

    def fail(self, task_token: str, error: str, cause: str) -> None:
        try:
            aws.client("stepfunctions").send_task_failure(
                taskToken=task_token, error=error, cause=cause
            )
        except ClientError as failure:
            self._stale(failure)

    @staticmethod
    def _stale(error: ClientError) -> None:
        code = _code(error)
        if code not in STALE_TOKEN:
            raise error
        logger.info("Saga no longer waits for this payment", extra={"code": code})


_workflow: Workflow | None = None


def get() -> Workflow:
    global _workflow
    if _workflow is None:
        _workflow = StepFunctionsWorkflow()
    return _workflow


def use(workflow: Workflow | None) -> None:
    """Swap the workflow (tests: a fake); None goes back to Step Functions."""
    global _workflow
    _workflow = workflow
