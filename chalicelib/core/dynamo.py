"""pynamodb models bound to their tables from settings, in one place.

Each table's model is declared with ``@bind_table("<settings field>")``; ``rebind_tables``
re-reads settings and drops cached connections (tests do it when moto restarts, because a
pynamodb connection made before ``mock_aws`` started would escape to real AWS).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.models import Model

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
