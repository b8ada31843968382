"""DynamoDB for every repository: table binding, ids, sort keys, conditions, transactions.

Each table's model is declared with ``@bind_table("<settings field>")``; ``rebind_tables``
re-reads settings and drops cached connections (tests do it when moto restarts, because a
pynamodb connection made before ``mock_aws`` started would escape to real AWS).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core import aws, clock
from chalicelib.core.settings import Settings, get_settings

ModelT = TypeVar("ModelT", bound=type[Model])
_bound: list[tuple[type[Model], str]] = []


def _bind(model: type[Model], setting: str) -> None:
    settings = get_settings()
    meta: Any = model.Meta
    meta.table_name = getattr(settings, setting)
    meta.region = settings.aws_region
    meta.host = settings.aws_endpoint_url
    model._connection = None
    for index in model._indexes.values():
        index._connection = None  # type: ignore[attr-defined]


def bind_table(setting: str) -> Callable[[ModelT], ModelT]:
    """Class decorator: the model's table name is ``Settings.<setting>``."""

    def decorate(model: ModelT) -> ModelT:
        _bind(model, setting)
        _bound.append((model, setting))
        return model

    return decorate


def rebind_tables() -> None:
    """Re-read settings for every bound model and forget their connections."""
    for model, setting in _bound:
        _bind(model, setting)


def transaction_connection() -> Connection:
    """The explicit connection pynamodb ``TransactWrite``/``TransactGet`` need.

    Made once per settings: each new Connection builds a botocore client (~100 ms of
    model loading); new settings (tests, a new moto) get a fresh one.
    """
    settings = get_settings()
    cached = _transaction_connection.get(id(settings))
    if cached is None or cached[0] is not settings:
        cached = (settings, Connection(region=settings.aws_region, host=settings.aws_endpoint_url))
        _transaction_connection.clear()
        _transaction_connection[id(settings)] = cached
    return cached[1]


_transaction_connection: dict[int, tuple[Settings, Connection]] = {}


# ---------- the small toolkit every repository uses ----------
CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELLED = "TransactionCanceledException"
# The per-item code DynamoDB puts in a cancelled transaction's reasons.
ITEM_CONDITION_FAILED = "ConditionalCheckFailed"
ITEM_CONFLICT = "TransactionConflict"


def new_id() -> str:
    """A random identifier (hex, 32 characters)."""
    return uuid.uuid4().hex


def time_key(moment: datetime, item_id: str) -> str:
    """``<ISO time>#<id>``: a sort key ordered by time and unique per item."""
    return f"{clock.iso(moment)}#{item_id}"


def condition_failed(error: PynamoDBException | ClientError) -> bool:
    """True when a write was refused by its condition (not any other failure)."""
    return _code(error) == CONDITION_FAILED


def _code(error: PynamoDBException | ClientError) -> str | None:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "") or None
    return error.cause_response_code


class TransactionCancelledError(Exception):
    """A transaction refused as a whole; ``reasons`` holds one code per item, in order
    (``"None"`` for items that were fine, ``ConditionalCheckFailed``, ``TransactionConflict``…).
    """

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        """True when item ``index``'s condition failed."""
        return index < len(self.reasons) and self.reasons[index] == ITEM_CONDITION_FAILED

    @property
    def conflicted(self) -> bool:
        """True when another transaction was writing the same items (worth a retry)."""
        return ITEM_CONFLICT in self.reasons


@contextmanager
def transaction() -> Iterator[TransactWrite]:
    """A pynamodb ``TransactWrite``; a cancellation becomes TransactionCancelledError.

    Other failures (throttling, validation) propagate as pynamodb raised them.
    """
    try:
        with TransactWrite(connection=transaction_connection()) as writer:
            yield writer
    except TransactWriteError as error:
        if error.cause_response_code != TRANSACTION_CANCELLED:
            raise
        reasons = [
            str(getattr(reason, "code", "") or "None") for reason in error.cancellation_reasons
        ]
        raise TransactionCancelledError(reasons) from None


def transact_items(items: list[dict[str, Any]]) -> None:
    """Run low-level ``TransactWriteItems`` items (several tables, raw expressions).

    Raises TransactionCancelledError with the per-item reasons when refused.
    """
    try:
        aws.client("dynamodb").transact_write_items(TransactItems=items)
    except ClientError as error:
        if _code(error) != TRANSACTION_CANCELLED:
            raise
        reasons = error.response.get("CancellationReasons") or []
        raise TransactionCancelledError(
            [str(reason.get("Code") or "None") for reason in reasons]
        ) from None
