"""Use-case tests of analytics run on the in-memory analytics and catalog repositories."""

from tests.fakes.analytics import analytics_fakes
from tests.fakes.catalog import bus, catalog_repo

__all__ = ["analytics_fakes", "bus", "catalog_repo"]
