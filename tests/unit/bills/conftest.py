"""Use-case tests of bill posts run on the in-memory bills and catalog repositories."""

from tests.fakes.bills import bills_repo
from tests.fakes.catalog import bus, catalog_repo

__all__ = ["bills_repo", "bus", "catalog_repo"]
