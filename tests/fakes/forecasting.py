"""The forecasting repository in memory: the same contract as the DynamoDB one, no AWS.

``tests/integration/forecasting/test_repository_contract.py`` runs the same assertions on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from chalicelib.core import clock
from chalicelib.core.dynamo import time_key
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.forecasting import repository
from chalicelib.forecasting.domain import Upload, UploadSummary
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

    def shop_uploads(self, shop_id: str, *, limit: int, cursor: str | None) -> Page[UploadSummary]:
        start = decode_cursor(cursor)
        if start is not None and start.get("shop") != shop_id:
            raise BadRequestError("Invalid pagination cursor")
        now = clock.now()
        listed = sorted(
            (
                (time_key(upload.created_at, upload.upload_id), upload.summary)
                for (shop, _), (upload, _, expires) in self.uploads.items()
                if shop == shop_id and expires > now
            ),
            reverse=True,
        )
        if start is not None:
            listed = [entry for entry in listed if entry[0] < str(start["after"])]
        page = listed[:limit]
        more = len(listed) > limit
        next_cursor = encode_cursor({"shop": shop_id, "after": page[-1][0]}) if more else None
        return Page(items=[summary for _, summary in page], next_cursor=next_cursor)

    def delete_upload(self, shop_id: str, upload_id: str) -> bool:
        found = self.uploads.get((shop_id, upload_id))
        if found is None or found[2] <= clock.now():
            return False
        del self.uploads[(shop_id, upload_id)]
        return True


@pytest.fixture
def fake_forecast_repo() -> Iterator[FakeForecastRepository]:
    fake = FakeForecastRepository()
    repository.use(fake)
    yield fake
    repository.use(None)
