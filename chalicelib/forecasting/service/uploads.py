"""A seller's own sales history as CSV: ``date,product,units,revenue`` (a header line with
these four columns in any order, then one line per product and day or per sale).

Every row is checked; one bad row refuses the whole file with the problems per row (the
first 100; line numbers count the header as line 1) and nothing is stored. A good file is
stored aggregated (sales per day, units per product) for ``forecast_upload_ttl_days``,
listed (newest first) and deletable by its shop before then.
Limits: ``forecast_upload_max_bytes``, ``forecast_upload_max_rows``, dates from 2000-01-01
to today spanning at most ten years, units 0..1,000,000, revenue 0..100,000,000.00 with at
most two decimals (returns and cancellations are left out: a negative row is refused).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import ForbiddenError, PayloadTooLargeError
from chalicelib.core.pagination import Page
from chalicelib.core.settings import get_settings
from chalicelib.forecasting import repository
from chalicelib.forecasting.domain import (
    DaySales,
    ProductSales,
    RowProblem,
    SalesHistory,
    Upload,
    UploadSummary,
)
from chalicelib.forecasting.errors import UploadNotFoundError, UploadRejectedError

COLUMNS = ("date", "product", "units", "revenue")
EARLIEST = date(2000, 1, 1)
MAX_SPAN_DAYS = 3660
MAX_PROBLEMS = 100
MAX_UNITS = 1_000_000
MAX_REVENUE = Decimal("100000000")
MAX_PRODUCT_CHARS = 64
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")  # core.dynamo.new_id


def _shop_of(caller: Caller) -> str:
    if not caller.shop_id:
        raise ForbiddenError("Only a seller with a shop uploads sales history")
    return caller.shop_id


def _row_problems(
    line: int, row: dict[str, str], today: date
) -> tuple[list[RowProblem], tuple[date, str, int, int] | None]:
    problems = []
    day = None
    raw_day = (row.get("date") or "").strip()
    try:
        day = date.fromisoformat(raw_day)
        if len(raw_day) != 10:
            raise ValueError
        if day < EARLIEST or day > today:
            problems.append(
                RowProblem(line, "date", f"must be between {EARLIEST} and today ({today})")
            )
    except ValueError:
        problems.append(
            RowProblem(line, "date", f"must be a date YYYY-MM-DD, got {raw_day[:20]!r}")
        )
    product = (row.get("product") or "").strip()
    if not product:
        problems.append(RowProblem(line, "product", "must not be empty"))
    elif len(product) > MAX_PRODUCT_CHARS:
        problems.append(RowProblem(line, "product", f"at most {MAX_PRODUCT_CHARS} characters"))
    elif any(ord(c) < 32 or ord(c) == 127 for c in product):
        problems.append(RowProblem(line, "product", "must not contain control characters"))
    raw_units = (row.get("units") or "").strip()
    units = 0
    if not raw_units.isdigit():
        problems.append(
            RowProblem(line, "units", f"must be a whole number 0 or more, got {raw_units[:20]!r}")
        )
    else:
        units = int(raw_units)
        if units > MAX_UNITS:
            problems.append(RowProblem(line, "units", f"at most {MAX_UNITS}"))
    raw_revenue = (row.get("revenue") or "").strip()
    revenue = 0
    try:
        amount = Decimal(raw_revenue)
        if not amount.is_finite() or amount < 0 or amount > MAX_REVENUE:
            raise InvalidOperation
        if amount != amount.quantize(Decimal("0.01")):
            problems.append(RowProblem(line, "revenue", "at most two decimals"))
        else:
            revenue = int(amount * 100)
    except (InvalidOperation, ValueError):
        problems.append(
            RowProblem(
                line,
                "revenue",
                f"must be an amount 0 to {MAX_REVENUE} (e.g. 12.50), got {raw_revenue[:20]!r}",
            )
        )
    if problems or day is None:
        return problems, None
    return [], (day, product, units, revenue)


def _unreadable(line: int, error: csv.Error) -> UploadRejectedError:
    return UploadRejectedError(
        "The CSV cannot be read; nothing was stored",
        details=[{"row": line, "field": "row", "message": str(error)[:200], "type": "row"}],
    )


def parse(text: str) -> tuple[SalesHistory, int]:
    """The aggregated history of a CSV text and its row count; UploadRejectedError with
    every problem (up to 100) when any row is bad."""
    settings = get_settings()
    if len(text.encode()) > settings.forecast_upload_max_bytes:
        raise PayloadTooLargeError(
            f"A sales CSV is at most {settings.forecast_upload_max_bytes} bytes"
        )
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as error:
        raise _unreadable(1, error) from error
    header = [(name or "").strip().lower() for name in (fieldnames or [])]
    if sorted(header) != sorted(COLUMNS):
        raise UploadRejectedError(
            "The CSV's header must be the columns date, product, units, revenue",
            details=[
                {
                    "row": 1,
                    "field": "header",
                    "message": f"expected {', '.join(COLUMNS)}; got {', '.join(header)[:200]}",
                    "type": "row",
                }
            ],
        )
    reader.fieldnames = header
    today = clock.now().date()
    problems: list[RowProblem] = []
    bad_rows = 0
    daily: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    products: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise _unreadable(reader.line_num, error) from error
        rows += 1
        line = reader.line_num
        if rows > settings.forecast_upload_max_rows:
            raise PayloadTooLargeError(
                f"A sales CSV has at most {settings.forecast_upload_max_rows} rows"
            )
        if None in row or any(value is None for value in row.values()):
            found = [RowProblem(line, "row", f"must have exactly {len(COLUMNS)} fields")]
            parsed = None
        else:
            found, parsed = _row_problems(line, row, today)
        if found:
            bad_rows += 1
            problems += found
            continue
        assert parsed is not None
        day, product, units, revenue = parsed
        daily[day][0] += revenue
        daily[day][1] += units
        products[product][0] += units
        products[product][1] += revenue
    if rows == 0:
        problems.append(RowProblem(2, "row", "the file has no sales rows"))
        bad_rows = 1
    if not problems and (max(daily) - min(daily)).days > MAX_SPAN_DAYS:
        problems.append(RowProblem(1, "date", f"the dates span at most {MAX_SPAN_DAYS} days"))
        bad_rows = 1
    if problems:
        raise UploadRejectedError(
            f"{bad_rows} row(s) of the CSV are invalid; nothing was stored",
            details=[
                {"row": p.row, "field": p.field, "message": p.message, "type": "row"}
                for p in problems[:MAX_PROBLEMS]
            ],
        )
    history = SalesHistory(
        scope="",
        source="upload",
        days=tuple(DaySales(d, v[0], v[1]) for d, v in sorted(daily.items())),
        products=tuple(ProductSales(p, v[0], v[1]) for p, v in sorted(products.items())),
    )
    return history, rows


def upload(caller: Caller, name: str, text: str) -> Upload:
    """Check and store a seller's sales CSV (all rows good, or nothing stored)."""
    shop_id = _shop_of(caller)
    history, rows = parse(text)
    upload_id = new_id()
    now = clock.now()
    stored = Upload(
        upload_id=upload_id,
        shop_id=shop_id,
        name=name,
        created_at=now,
        rows=rows,
        history=SalesHistory(
            scope=shop_id,
            source=f"upload:{upload_id}",
            days=history.days,
            products=history.products,
        ),
    )
    expires = now + timedelta(days=get_settings().forecast_upload_ttl_days)
    repository.get().save_upload(stored, expires_at=expires)
    return stored


def get_upload(caller: Caller, upload_id: str) -> Upload:
    """The caller's shop's upload; another shop's (or none) is 404."""
    shop_id = _shop_of(caller)
    if not UPLOAD_ID.fullmatch(upload_id):
        raise UploadNotFoundError("No such upload")
    found = repository.get().upload(shop_id, upload_id)
    if found is None:
        raise UploadNotFoundError("No such upload")
    return found


def list_uploads(caller: Caller, *, limit: int, cursor: str | None) -> Page[UploadSummary]:
    """A page of the caller's shop's uploads (unexpired), newest first."""
    return repository.get().shop_uploads(_shop_of(caller), limit=limit, cursor=cursor)


def delete_upload(caller: Caller, upload_id: str) -> None:
    """Delete an upload of the caller's shop now (before its TTL). Another shop's, an
    unknown or an already deleted one is 404 alike: whether an id exists elsewhere is not
    told."""
    shop_id = _shop_of(caller)
    if not UPLOAD_ID.fullmatch(upload_id) or not repository.get().delete_upload(shop_id, upload_id):
        raise UploadNotFoundError("No such upload")
