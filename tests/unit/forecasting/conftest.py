"""Use-case tests of forecasting run on the in-memory forecasting and catalog repositories."""

from __future__ import annotations

from tests.fakes.catalog import catalog_repo
from tests.fakes.forecasting import fake_forecast_repo

__all__ = ["catalog_repo", "fake_forecast_repo"]
