"""Runs Lambda handlers in-process, the way the Lambda service would call them."""

from __future__ import annotations

import importlib
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localcloud.deploy import FunctionSpec

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The context object Lambda passes to handlers (what Powertools reads)."""

    def __init__(self, spec: FunctionSpec, region: str, account_id: str = "") -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            spec.arn or f"arn:aws:lambda:{region}:{account_id}:function:{spec.name}"
        )
        self.memory_limit_in_mb = spec.memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class InvokeResult:
    """A handler's return value, or the error Lambda would report for it."""

    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error is not None


class FunctionNotFound(KeyError):
    """No function of that name is deployed."""


class LambdaRuntime:
    """The deployed functions and a way to invoke them."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.account_id = ""  # the deployment's, from the first function with an ARN
        self.functions: dict[str, FunctionSpec] = {}
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.invocations: dict[str, int] = {}

    def register(self, spec: FunctionSpec) -> None:
        self.functions[spec.name] = spec
        if spec.arn and not self.account_id:
            self.account_id = spec.arn.split(":")[4]

    def name_of(self, name_or_arn: str) -> str:
        """Function name from a name, a partial or full ARN (a ``:qualifier`` is ignored)."""
        if ":function:" in name_or_arn:
            name_or_arn = name_or_arn.split(":function:", 1)[1]
        return name_or_arn.split(":", 1)[0]

    def handler(self, name: str) -> Handler:
        spec = self.functions.get(name)
        if spec is None:
            raise FunctionNotFound(name)
        with self._lock:
            if name not in self._handlers:
                module_name, _, attribute = spec.handler.rpartition(".")
                module = importlib.import_module(module_name)
                self._handlers[name] = getattr(module, attribute)
            return self._handlers[name]

    def invoke(self, name_or_arn: str, event: Any) -> InvokeResult:
        """Call the handler; an exception becomes Lambda's ``Unhandled`` error payload."""
        name = self.name_of(name_or_arn)
        handler = self.handler(name)
        context = LambdaContext(self.functions[name], self.region, self.account_id)
        started = time.perf_counter()
        with self._lock:
            self.invocations[name] = self.invocations.get(name, 0) + 1
        try:
            payload = handler(event, context)
        except Exception as exc:  # noqa: BLE001 - Lambda reports any handler error
            return InvokeResult(
                error={
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "requestId": context.aws_request_id,
                    "stackTrace": traceback.format_tb(exc.__traceback__),
                },
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        return InvokeResult(payload=payload, duration_ms=(time.perf_counter() - started) * 1000)
