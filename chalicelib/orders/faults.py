"""Fault plans: fail saga steps on purpose, to prove the saga keeps its invariants.

A checkout may carry a plan (header ``X-Fault-Plan``, JSON) only where
``Settings.fault_injection`` is on, which the settings refuse outside the local and
test stages; elsewhere the header is rejected. The plan travels in the execution input.

``{"reserve": "transient:2", "confirm": "business", "payment_timeout_seconds": 1}``:

- ``transient:N``: the step's first N attempts fail before doing anything (retried);
- ``after:N``: the step's first N attempts do their work, then fail (the retry must be
  idempotent);
- ``business``: the step fails for good before doing anything (compensation runs).

The steps know nothing of this: ``inject`` wraps the step table where the saga's task
handler is built (``functions/checkout_saga.py``, on local and test stages).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from chalicelib.core.errors import ForbiddenError, ValidationFailedError
from chalicelib.core.settings import get_settings
from chalicelib.orders.errors import InjectedBusinessError, InjectedTransientError

STEPS = ("reserve", "pay", "confirm", "notify", "cancel_payment", "release", "cancel_orders")
# Compensations must finish: a plan may delay them (transient) but not break them.
COMPENSATIONS = ("cancel_payment", "release", "cancel_orders")
_MODE = re.compile(r"^(transient|after):([0-9])$|^business$")


class Task(Protocol):
    """What a fault needs to know of a saga task."""

    @property
    def attempt(self) -> int: ...

    @property
    def faults(self) -> dict[str, Any] | None: ...


TaskT = TypeVar("TaskT", bound=Task)
Step = Callable[[TaskT], dict[str, Any]]


def parse_plan(raw: str | None) -> dict[str, Any] | None:
    """The plan in a header value; ForbiddenError where fault injection is off."""
    if raw is None or raw.strip() == "":
        return None
    if not get_settings().fault_injection:
        raise ForbiddenError("Fault plans are accepted on local and test stages only")
    try:
        plan = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested too deep to decode
        raise ValidationFailedError("X-Fault-Plan must be a JSON object") from None
    if not isinstance(plan, dict):
        raise ValidationFailedError("X-Fault-Plan must be a JSON object")
    out: dict[str, Any] = {}
    for key, value in plan.items():
        if key == "payment_timeout_seconds":
            if not isinstance(value, int) or not 1 <= value <= 3600:
                raise ValidationFailedError("payment_timeout_seconds must be 1..3600")
            out[key] = value
            continue
        if key not in STEPS or not isinstance(value, str) or not _MODE.match(value):
            raise ValidationFailedError(
                f"Bad fault for {key!r}", details={"steps": list(STEPS), "modes": _MODE.pattern}
            )
        if key in COMPENSATIONS and value == "business":
            raise ValidationFailedError(f"{key} is a compensation: it may only fail transiently")
        out[key] = value
    return out


def before(step: str, plan: dict[str, Any] | None, attempt: int) -> None:
    """Raise the fault planned before ``step``'s work on this attempt, if any."""
    mode = str((plan or {}).get(step) or "")
    if not mode or not get_settings().fault_injection:
        return
    if mode == "business":
        raise InjectedBusinessError(f"fault plan: {step} fails")
    kind, _, count = mode.partition(":")
    if kind == "transient" and attempt < int(count):
        raise InjectedTransientError(f"fault plan: {step} attempt {attempt} fails")


def after(step: str, plan: dict[str, Any] | None, attempt: int) -> None:
    """Raise the fault planned after ``step``'s work on this attempt, if any."""
    mode = str((plan or {}).get(step) or "")
    if not mode or not get_settings().fault_injection:
        return
    kind, _, count = mode.partition(":")
    if kind == "after" and attempt < int(count):
        raise InjectedTransientError(f"fault plan: {step} attempt {attempt} fails after its work")


def inject(steps: Mapping[str, Step[TaskT]]) -> dict[str, Step[TaskT]]:
    """The step table with each step failing as its task's fault plan says."""
    return {name: _with_faults(name, step) for name, step in steps.items()}


def _with_faults(name: str, step: Step[TaskT]) -> Step[TaskT]:
    @functools.wraps(step)
    def faulty(task: TaskT) -> dict[str, Any]:
        before(name, task.faults, task.attempt)
        result = step(task)
        after(name, task.faults, task.attempt)
        return result

    return faulty
