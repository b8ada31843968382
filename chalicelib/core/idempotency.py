"""Powertools idempotency, persisted in the idempotency table, for every consumer."""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from chalicelib.core import aws
from chalicelib.core.settings import get_settings

# Long enough to outlive SQS retention of a redelivered message (14 days max).
T = TypeVar("T")
RECORD_TTL_SECONDS = 15 * 24 * 3600


@cache
def persistence_layer(key_jmespath: str | None = None) -> DynamoDBPersistenceLayer:
    """The layer over the idempotency table for one key expression (lazily, once each).

    Powertools configures a layer once, with the first config it sees, so each key
    expression needs a layer of its own.
    """
    return DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table, boto3_client=aws.client("dynamodb")
    )


@cache
def config(key_jmespath: str | None = None) -> IdempotencyConfig:
    """Config keyed on ``key_jmespath`` of the payload (the whole payload when None)."""
    return IdempotencyConfig(
        event_key_jmespath=key_jmespath or "",
        expires_after_seconds=RECORD_TTL_SECONDS,
        raise_on_no_idempotency_key=True,
    )


def register_lambda_context(context: Any) -> None:
    """Tell every config the invocation's deadline (handlers call this first)."""
    for key in _keys:
        config(key).register_lambda_context(context)


_keys: set[str | None] = set()


def reset() -> None:
    """Forget the persistence layer (tests point it at a new moto)."""
    persistence_layer.cache_clear()


def once(
    key_jmespath: str, *, data_keyword_argument: str
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Powertools ``idempotent_function``, bound to the persistence layer on first call.

    Deferring the binding keeps boto3 clients out of import time.
    """

    _keys.add(key_jmespath)

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        bound: dict[int, Callable[..., T]] = {}

        @functools.wraps(function)
        def call(**kwargs: Any) -> T:
            layer = persistence_layer(key_jmespath)
            wrapped = bound.get(id(layer))
            if wrapped is None:
                bound.clear()
                wrapped = idempotent_function(
                    data_keyword_argument=data_keyword_argument,
                    persistence_store=layer,
                    config=config(key_jmespath),
                )(function)
                bound[id(layer)] = wrapped
            return wrapped(**kwargs)

        return call

    return decorate
