"""The self-test saga's step function decides failures from the run plan only."""

from __future__ import annotations

import pytest

from functions.selftest_saga import BusinessRuleError, TransientStepError, run_step


def test_a_step_succeeds_without_a_plan() -> None:
    assert run_step("reserve", {}, 0) == {"done": True, "step": "reserve", "attempt": 0}


def test_transient_plan_fails_the_first_attempts_only() -> None:
    run = {"fail": {"charge": "transient:2"}}
    for attempt in (0, 1):
        with pytest.raises(TransientStepError):
            run_step("charge", run, attempt)
    assert run_step("charge", run, 2)["done"] is True


def test_business_plan_always_fails_and_unknown_steps_are_refused() -> None:
    with pytest.raises(BusinessRuleError):
        run_step("confirm", {"fail": {"confirm": "business"}}, 5)
    with pytest.raises(ValueError, match="unknown step"):
        run_step("teleport", {}, 0)
