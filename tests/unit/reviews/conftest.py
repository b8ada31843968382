"""Use-case tests of reviews run on the in-memory reviews, catalog and orders repositories."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from chalicelib.bills.domain import Post as BillPost
from chalicelib.bills.domain import PostStatus
from chalicelib.catalog.domain import Product, Shop
from chalicelib.core import clock
from chalicelib.orders import repository as orders_repository
from chalicelib.orders.domain import OrderStatus
from tests.fakes.bills import InMemoryBillRepository, bills_repo
from tests.fakes.catalog import (
    InMemoryCatalogRepository,
    bus,
    catalog_repo,
    make_product,
    make_shop,
)
from tests.fakes.orders import InMemoryOrdersRepository, new_checkout
from tests.fakes.reviews import reviews_repo

__all__ = ["bills_repo", "bus", "catalog_repo", "reviews_repo"]


@pytest.fixture
def orders_repo() -> Iterator[InMemoryOrdersRepository]:
    fake = InMemoryOrdersRepository()
    orders_repository.use(fake)
    yield fake
    orders_repository.use(None)


@pytest.fixture
def shop_and_product(catalog_repo: InMemoryCatalogRepository) -> tuple[Shop, Product]:
    """A seller's shop with one product, and another shop (stored in the catalog fake)."""
    shop = make_shop("shop-1", "seller-1")
    other = make_shop("shop-2", "seller-2")
    product = make_product("p-1", shop)
    catalog_repo.shop_items.update({shop.shop_id: shop, other.shop_id: other})
    catalog_repo.product_items[product.product_id] = product
    return shop, product


def bought(
    repo: InMemoryOrdersRepository,
    user_id: str,
    product_id: str,
    status: OrderStatus = OrderStatus.PAID,
) -> str:
    """A stored order of ``user_id`` for ``product_id`` in ``status``; its id."""
    new = new_checkout({product_id: 1}, user_id=user_id, shops=("shop-1",))
    new = replace(new, orders=tuple(replace(o, status=status) for o in new.orders))
    repo.add_checkout(new, redemption=None)
    return new.orders[0].order_id


def bill_post(
    repo: InMemoryBillRepository,
    author_id: str,
    shop_id: str | None = "shop-1",
    status: PostStatus = PostStatus.VERIFIED,
) -> str:
    """A stored bill post of ``author_id`` about ``shop_id`` in ``status``; its id."""
    now = clock.iso(clock.now())
    post_id = f"post-{len(repo.posts) + 1}"
    repo.create(
        BillPost(
            post_id=post_id,
            author_id=author_id,
            status=status,
            bill_key=f"bills/{post_id}",
            content_type="image/jpeg",
            created_at=now,
            updated_at=now,
            shop_id=shop_id,
            verified_at=now if status is PostStatus.VERIFIED else None,
        )
    )
    return post_id
