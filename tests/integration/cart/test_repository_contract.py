"""The cart repository's contract: the DynamoDB one and the in-memory fake agree.

Every test runs on ``InMemoryCartRepository`` (tests/fakes/cart.py) and on
``DynamoCartRepository`` against moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.cart.domain import BoughtRemoval
from chalicelib.core import clock
from tests.fakes.cart import InMemoryCartRepository


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemoryCartRepository()
        return
    request.getfixturevalue("aws_env")
    from chalicelib.cart.repository import DynamoCartRepository

    yield DynamoCartRepository()


def test_lines_keep_when_they_were_added_and_the_header_its_code(repo: Any) -> None:
    now = clock.now()
    assert repo.header("ann") is None
    assert repo.lines("ann") == []
    # Given two lines, the first raised later
    repo.save_line("ann", "p-1", 1, now=now)
    repo.save_line("ann", "p-2", 2, now=now + timedelta(seconds=1))
    repo.save_line("ann", "p-1", 3, now=now + timedelta(seconds=2), unit_price=1200)
    line = repo.line("ann", "p-1")
    assert (line.quantity, line.added_at, line.unit_price) == (3, now, 1200)
    assert repo.line("ann", "p-2").unit_price is None
    assert sorted((x.product_id, x.quantity) for x in repo.lines("ann")) == [("p-1", 3), ("p-2", 2)]
    assert repo.line("ann", "p-9") is None
    # When the cart is touched and given a code
    repo.touch("ann", now=now)
    assert (repo.header("ann").code, repo.header("ann").updated_at) == (None, now)
    repo.set_code("ann", "SAVE10", now=now + timedelta(seconds=3))
    repo.touch("ann", now=now + timedelta(seconds=4))
    header = repo.header("ann")
    assert (header.user_id, header.code, header.updated_at) == (
        "ann",
        "SAVE10",
        now + timedelta(seconds=4),
    )
    # Then dropping another code keeps it; dropping it, or setting None, clears it
    repo.drop_code("ann", "OTHER")
    assert repo.header("ann").code == "SAVE10"
    repo.drop_code("ann", "SAVE10")
    assert repo.header("ann").code is None
    repo.set_code("ann", "X", now=now)
    repo.set_code("ann", None, now=now)
    assert repo.header("ann").code is None
    repo.drop_code("nobody", "X")  # no cart: nothing happens
    assert repo.delete_line("ann", "p-2") is True
    assert repo.delete_line("ann", "p-2") is False
    assert [x.product_id for x in repo.lines("ann")] == ["p-1"]


def test_bought_units_leave_once_and_only_from_lines_read(repo: Any) -> None:
    now = clock.now()
    for product_id, quantity in (("lamp", 2), ("mug", 2), ("rug", 1)):
        repo.save_line("ann", product_id, quantity, now=now)
    read = repo.lines("ann")
    bought = {"lamp": 2, "mug": 1, "gone": 1}
    # A line changed since it was read: nothing is written
    repo.save_line("ann", "mug", 3, now=now)
    assert repo.remove_bought("ann", "co-1", bought, read, expires_at=1) is (
        BoughtRemoval.CART_CHANGED
    )
    assert sorted((x.product_id, x.quantity) for x in repo.lines("ann")) == [
        ("lamp", 2),
        ("mug", 3),
        ("rug", 1),
    ]
    # Read again: the lamp goes, one mug goes, the rug stays
    again = repo.lines("ann")
    assert repo.remove_bought("ann", "co-1", bought, again, expires_at=1) is BoughtRemoval.DONE
    assert sorted((x.product_id, x.quantity) for x in repo.lines("ann")) == [
        ("mug", 2),
        ("rug", 1),
    ]
    # Once only, for that checkout
    assert repo.remove_bought("ann", "co-1", bought, repo.lines("ann"), expires_at=1) is (
        BoughtRemoval.ALREADY_DONE
    )
    assert sorted((x.product_id, x.quantity) for x in repo.lines("ann")) == [
        ("mug", 2),
        ("rug", 1),
    ]


def test_wishlists_hold_each_product_once(repo: Any) -> None:
    now = clock.now()
    repo.add_wish("ann", "p-2", now=now)
    repo.add_wish("ann", "p-1", now=now + timedelta(seconds=1))
    repo.add_wish("ann", "p-1", now=now + timedelta(seconds=2))
    entries = repo.wishlist("ann")
    assert sorted((e.product_id, e.added_at) for e in entries) == [
        ("p-1", now + timedelta(seconds=2)),
        ("p-2", now),
    ]
    assert len(repo.wishlist("ann", limit=1)) == 1
    assert repo.remove_wish("ann", "p-1") is True
    assert repo.remove_wish("ann", "p-1") is False
    assert [e.product_id for e in repo.wishlist("ann")] == ["p-2"]
    assert repo.wishlist("bob") == []


def test_idle_carts_are_reported_once_unless_touched_again(repo: Any) -> None:
    now = clock.now()
    repo.touch("old", now=now - timedelta(hours=30))
    repo.touch("older", now=now - timedelta(hours=40))
    repo.touch("fresh", now=now - timedelta(hours=1))
    cutoff = now - timedelta(hours=24)
    assert repo.idle_carts(cutoff, limit=10) == ["older", "old"]
    assert repo.idle_carts(cutoff, limit=1) == ["older"]
    header = repo.header("old")
    assert repo.mark_abandoned(header, now=now) is True
    assert repo.mark_abandoned(header, now=now) is False
    assert repo.header("old").abandoned_at == now
    assert repo.idle_carts(cutoff, limit=10) == ["older"]
    # A cart touched after it was read is not reported
    stale = repo.header("older")
    repo.touch("older", now=now)
    assert repo.mark_abandoned(stale, now=now) is False
    assert repo.idle_carts(cutoff, limit=10) == []
    # Touching an abandoned cart re-opens it
    repo.touch("old", now=now - timedelta(hours=25))
    assert repo.header("old").abandoned_at is None
    assert repo.idle_carts(cutoff, limit=10) == ["old"]
