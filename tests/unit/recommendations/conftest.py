"""Use-case tests of recommendations: in-memory catalog, orders and profiles, and a real
model trained on fixed interactions (served from a temporary directory)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.orders import repository as orders_repository
from chalicelib.recommendations.ranking import RecsModel
from chalicelib.recommendations.service import serving
from chalicelib.recommendations.training import Interaction, Params, fit, write_model
from tests.fakes.catalog import bus, catalog_repo
from tests.fakes.orders import InMemoryOrdersRepository
from tests.fakes.recommendations import recs_repo

__all__ = ["bus", "catalog_repo", "recs_repo"]

START = datetime(2026, 9, 1, tzinfo=UTC)
# Two tastes: p-1..p-5 bought together, p-6..p-9 bought together; p-1 the most popular.
BASKETS = [
    *[["p-1", "p-2", "p-3"]] * 6,
    *[["p-1", "p-4", "p-5"]] * 5,
    *[["p-2", "p-3", "p-4", "p-5"]] * 4,
    *[["p-6", "p-7", "p-8"]] * 4,
    *[["p-6", "p-9"]] * 3,
    *[["p-1"]] * 6,
]


def interactions() -> list[Interaction]:
    return [
        Interaction(f"u{n}", product, START + timedelta(days=n), 1.0)
        for n, basket in enumerate(BASKETS)
        for product in basket
    ]


@pytest.fixture
def orders_repo() -> Iterator[InMemoryOrdersRepository]:
    fake = InMemoryOrdersRepository()
    orders_repository.use(fake)
    yield fake
    orders_repository.use(None)


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RecsModel:
    """The served model: trained on BASKETS (keys p-1..p-9)."""
    write_model(
        fit(interactions(), Params(neighbours=8, l2=1.0)),
        tmp_path,
        name="recs",
        version="t1",
        extra={},
    )
    loaded = RecsModel(tmp_path)
    monkeypatch.setattr(serving, "current_model", lambda: loaded)
    return loaded
