"""The forecasting repository in memory: the same contract as the DynamoDB one, no AWS.

``tests/integration/forecasting/test_repository_contract.py`` runs the same assertions on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from chalicelib.core import clock
from chalicelib.forecasting import repository
from chalicelib.forecasting.domain import Upload
from chalicelib.forecasting.repository import history_json, history_of


class FakeForecastRepository:
    def __init__(self) -> None:
        self.uploads: dict[tuple[str, str], tuple[Upload, str, datetime]] = {}

    def save_upload(self, upload: Upload, *, expires_at: datetime) -> None:
        # Stored as the DynamoDB one stores it (the same JSON, the same top products).
        self.uploads[(upload.shop_id, upload.upload_id)] = (
            upload,
            history_json(upload.history),
            expires_at,
        )

    def upload(self, shop_id: str, upload_id: str) -> Upload | None:
        found = self.uploads.get((shop_id, upload_id))
        if found is None or found[2] <= clock.now():
            return None
        upload, text, _ = found
        history = history_of(shop_id, f"upload:{upload_id}", text)
        return Upload(
            upload.upload_id, shop_id, upload.name, upload.created_at, upload.rows, history
        )


@pytest.fixture
def fake_forecast_repo() -> Iterator[FakeForecastRepository]:
    fake = FakeForecastRepository()
    repository.use(fake)
    yield fake
    repository.use(None)
