"""Orders integration tests: the payment simulator is the provider (as on the test stage)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def simulator() -> Iterator[None]:
    from chalicelib.dev import payments as dev_payments
    from chalicelib.orders import repository, workflow

    repository.use(None)
    workflow.use(None)
    dev_payments.install()
    return
