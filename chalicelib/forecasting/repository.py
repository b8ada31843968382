"""Forecasting's storage port (uploaded sales histories) and its DynamoDB implementation.

The contract is tested on moto in ``tests/integration/forecasting/`` and the fake in
``tests/fakes/forecasting.py`` follows it."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Protocol

from pynamodb.exceptions import DoesNotExist

from chalicelib.core import clock
from chalicelib.forecasting.domain import DaySales, ProductSales, SalesHistory, Upload
from chalicelib.forecasting.models import UploadItem, shop_pk, upload_sk

STORED_PRODUCTS = 500  # the products with the most units are kept with an upload


class ForecastRepository(Protocol):
    def save_upload(self, upload: Upload, *, expires_at: datetime) -> None:
        """Store an accepted upload (kept until ``expires_at``)."""

    def upload(self, shop_id: str, upload_id: str) -> Upload | None:
        """The shop's upload, or None (another shop's, unknown, or expired)."""


def history_json(history: SalesHistory) -> str:
    top = sorted(history.products, key=lambda p: (-p.units, p.product_id))[:STORED_PRODUCTS]
    return json.dumps(
        {
            "days": [[d.day.isoformat(), d.revenue, d.units] for d in history.days],
            "products": [[p.product_id, p.units, p.revenue] for p in top],
        },
        separators=(",", ":"),
    )


def history_of(scope: str, source: str, text: str) -> SalesHistory:
    data = json.loads(text)
    return SalesHistory(
        scope=scope,
        source=source,
        days=tuple(DaySales(date.fromisoformat(d), int(r), int(u)) for d, r, u in data["days"]),
        products=tuple(ProductSales(str(p), int(u), int(r)) for p, u, r in data["products"]),
    )


class DynamoForecastRepository:
    def save_upload(self, upload: Upload, *, expires_at: datetime) -> None:
        UploadItem(
            pk=shop_pk(upload.shop_id),
            sk=upload_sk(upload.upload_id),
            upload_id=upload.upload_id,
            shop_id=upload.shop_id,
            name=upload.name,
            rows=upload.rows,
            created_at=upload.created_at,
            history=history_json(upload.history),
            expires_at=clock.epoch(expires_at),
        ).save()

    def upload(self, shop_id: str, upload_id: str) -> Upload | None:
        try:
            item = UploadItem.get(shop_pk(shop_id), upload_sk(upload_id))
        except DoesNotExist:
            return None
        if int(item.expires_at) <= clock.epoch(clock.now()):
            return None
        return Upload(
            upload_id=item.upload_id,
            shop_id=item.shop_id,
            name=item.name,
            created_at=item.created_at,
            rows=int(item.rows),
            history=history_of(item.shop_id, f"upload:{item.upload_id}", item.history),
        )


_repository: ForecastRepository | None = None


def get() -> ForecastRepository:
    """The repository in use: the DynamoDB one unless a test swapped in another."""
    global _repository
    if _repository is None:
        _repository = DynamoForecastRepository()
    return _repository


def use(repository: ForecastRepository | None) -> None:
    """Use ``repository`` from now on (None: back to the DynamoDB one)."""
    global _repository
    _repository = repository
