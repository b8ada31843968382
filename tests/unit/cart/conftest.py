"""Use-case tests of the cart run on the in-memory cart and catalog repositories."""

from tests.fakes.cart import cart_repo
from tests.fakes.catalog import bus, catalog_repo

__all__ = ["bus", "cart_repo", "catalog_repo"]
