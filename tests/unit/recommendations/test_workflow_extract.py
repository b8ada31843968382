"""The training workflow's extract step on the in-memory lake and orders."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import timedelta

from chalicelib.analytics.domain import Fact, FactKind
from chalicelib.analytics.service.facts import to_line
from chalicelib.core import clock
from chalicelib.orders.domain import OrderStatus
from chalicelib.recommendations import repository
from chalicelib.recommendations.service import workflow
from tests.fakes.analytics import FakeLake, analytics_fakes
from tests.fakes.catalog import InMemoryCatalogRepository, make_product
from tests.fakes.orders import InMemoryOrdersRepository, new_checkout
from tests.fakes.recommendations import FakeRecsRepository

__all__ = ["analytics_fakes"]


def test_nothing_to_train_on_an_empty_lake(
    analytics_fakes: tuple[object, object, FakeLake],
    recs_repo: FakeRecsRepository,
    orders_repo: InMemoryOrdersRepository,
    catalog_repo: InMemoryCatalogRepository,
) -> None:
    extracted = workflow.extract("r1")
    assert extracted["rows"] == 0
    assert not extracted["enough"]


def test_extract_weighs_lake_engagement_and_paid_orders(
    analytics_fakes: tuple[object, object, FakeLake],
    recs_repo: FakeRecsRepository,
    orders_repo: InMemoryOrdersRepository,
    catalog_repo: InMemoryCatalogRepository,
) -> None:
    # Given a view, a cart add and a search in the lake, a paid and a cancelled order, and
    # the viewed product (alone) still in the catalog
    now = clock.now()
    catalog_repo.product_items["p-1"] = make_product("p-1", title="Red Retrospot Lamp")
    lake = analytics_fakes[2]
    at = now - timedelta(days=2)
    facts = [
        Fact(
            FactKind.PRODUCT_VIEW, at, at, "client", visitor="ann", user_id="ann", product_id="p-1"
        ),
        Fact(FactKind.ADD_TO_CART, at, at, "client", visitor="anon-1", product_id="p-2"),
        Fact(FactKind.SEARCH, at, at, "client", visitor="ann", user_id="ann", query="lamp"),
    ]
    lake.write("b1", at, [to_line("b1", f) for f in facts])
    for status in (OrderStatus.PAID, OrderStatus.CANCELLED):
        new = new_checkout({f"p-{status}": 1}, user_id="bob", shops=("shop-1",))
        new = replace(new, orders=tuple(replace(o, status=status) for o in new.orders))
        orders_repo.add_checkout(new, redemption=None)
    # When the extract step runs
    extracted = workflow.extract("r1", now=now)
    # Then it keeps the engagement (anonymous visitors too: they teach the model) and the
    # paid order, knows who is signed in (profiles are written for them only), and keeps
    # the titles the catalog has (the model's content similarity)
    body = json.loads(gzip.decompress(repository.runs().get("runs/recs/r1/interactions.json.gz")))
    kinds = sorted((r["user"], r["item"], r["kind"]) for r in body["rows"])
    assert kinds == [
        ("ann", "p-1", "view"),
        ("anon-1", "p-2", "cart"),
        ("bob", "p-PAID", "purchase"),
    ]
    assert body["signed_in"] == ["ann", "bob"]
    assert body["texts"] == {"p-1": "Red Retrospot Lamp"}
    assert extracted["rows"] == 3
