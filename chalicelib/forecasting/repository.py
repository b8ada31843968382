"""Forecasting's storage port (uploaded sales histories) and its DynamoDB implementation.

The contract is tested on moto in ``tests/integration/forecasting/`` and the fake in
``tests/fakes/forecasting.py`` follows it."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Protocol

from pynamodb.exceptions import DeleteError, DoesNotExist

from chalicelib.core import clock
from chalicelib.core.dynamo import condition_failed, time_key
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.forecasting.domain import (
    DaySales,
    ProductSales,
    SalesHistory,
    Upload,
    UploadSummary,
)
from chalicelib.forecasting.models import UploadItem, shop_pk, upload_sk

STORED_PRODUCTS = 500  # the products with the most units are kept with an upload


class ForecastRepository(Protocol):
    def save_upload(self, upload: Upload, *, expires_at: datetime) -> None:
        """Store an accepted upload (kept until ``expires_at``)."""

    def upload(self, shop_id: str, upload_id: str) -> Upload | None:
        """The shop's upload, or None (another shop's, unknown, or expired)."""

    def shop_uploads(self, shop_id: str, *, limit: int, cursor: str | None) -> Page[UploadSummary]:
        """A page of the shop's unexpired uploads, newest first (BadRequestError for a
        cursor that is not of this shop's list)."""

    def delete_upload(self, shop_id: str, upload_id: str) -> bool:
        """Delete the shop's upload; False when it has none by that id (another shop's,
        unknown, already deleted, or expired)."""


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


def _summary(item: UploadItem) -> UploadSummary:
    return UploadSummary(
        upload_id=item.upload_id,
        shop_id=item.shop_id,
        name=item.name,
        created_at=item.created_at,
        rows=int(item.rows),
        days=int(item.days or 0),
        first_day=date.fromisoformat(item.first_day or "2000-01-01"),
        last_day=date.fromisoformat(item.last_day or "2000-01-01"),
        products=int(item.products or 0),
    )


def _list_key_of(key: dict[str, object], pk: str) -> bool:
    """Whether ``key`` is a position in the list of partition ``pk`` (a cursor of another
    list, or of another shop's, is not)."""
    if set(key) != {"pk", "sk", "created"}:
        return False
    values = [key[name] for name in ("pk", "sk", "created")]
    if not all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in values):
        return False
    return values[0] == {"S": pk}


class DynamoForecastRepository:
    def save_upload(self, upload: Upload, *, expires_at: datetime) -> None:
        summary = upload.summary
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
            created=time_key(upload.created_at, upload.upload_id),
            days=summary.days,
            first_day=summary.first_day.isoformat(),
            last_day=summary.last_day.isoformat(),
            products=summary.products,
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

    def shop_uploads(self, shop_id: str, *, limit: int, cursor: str | None) -> Page[UploadSummary]:
        start = decode_cursor(cursor)
        if start is not None and not _list_key_of(start, shop_pk(shop_id)):
            raise BadRequestError("Invalid pagination cursor")
        results = UploadItem.by_created.query(
            shop_pk(shop_id),
            filter_condition=UploadItem.expires_at > clock.epoch(clock.now()),
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=start,
        )
        items = [_summary(item) for item in results]
        return Page(items=items, next_cursor=encode_cursor(results.last_evaluated_key))

    def delete_upload(self, shop_id: str, upload_id: str) -> bool:
        item = UploadItem(pk=shop_pk(shop_id), sk=upload_sk(upload_id))
        try:
            item.delete(
                condition=UploadItem.pk.exists()
                & (UploadItem.expires_at > clock.epoch(clock.now()))
            )
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True


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
