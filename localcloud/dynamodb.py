"""DynamoDB in moto made isolated like the real service: one request at a time, exact rollback.

moto 5.2.5 has two gaps that checkout and discount codes run into as soon as requests are
concurrent (the local cloud serves them from many threads):

- ``TransactWriteItems`` backs up every table it touches with ``copy.deepcopy`` and, when
  the transaction is cancelled, puts those copies back. Writes other threads made in
  between are lost, and every transaction costs a copy of whole tables.
- Requests are not isolated from each other: a transaction's writes can be seen half
  done, and a Query that walks a table while another thread inserts can fail.

``install()`` fixes both in this process: every DynamoDB request holds one lock while moto
answers it (DynamoDB itself serializes transactions with the items they touch), and a
cancelled transaction undoes only the items it wrote, from an undo log. Conditions are
all checked before anything is written, as DynamoDB does.

It also gives moto's Query what DynamoDB's partitions give it: moto walks every item of
the table for each Query (base table or index), so a query's cost grows with the table.
Here a Query reads only the items of its partition: the base table's own hash map, or a
per-index map from hash-key value to items, built on first use and dropped after any
write (moto changes items in place, so any write may move an item between partitions).
moto still applies every key condition, filter, sort and page to those candidates.

And it stops moto's memory growing with every read of a missing item: a table's items are
a ``defaultdict`` keyed by hash key, and ``get_item`` (GetItem, BatchGetItem, conditions)
on a table with a range key indexes it, so every hash key ever *asked for* got an empty
entry, kept forever (``delete_item`` also left one behind). Catalog search reads one
``COUNT#<partition>`` item per word and filter of the query, so each anonymous search with
new words left a few hundred bytes per word (with long random queries, ~290 KB a search
during a fuzz run; 2.4 GB in the end). Here a read of a missing hash key answers None
without inserting, and a delete drops the hash key once its last item is gone.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

MAX_TRANSACTION_ITEMS = 100
CONDITION_FAILED, CONDITION_MESSAGE = "ConditionalCheckFailed", "The conditional request failed"
_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
_lock = threading.RLock()
_installed = False
# Answers that change no item: they keep the per-index partition maps valid.
_READS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
        "DescribeContinuousBackups",
        "ListTagsOfResource",
        "DescribeEndpoints",
    }
)
# Per table, bumped by every other request that names it ("*": one naming no table).
_generations: dict[str, int] = {}

Reason = tuple[str, str, dict[str, Any] | None] | tuple[None, None, None]


def install() -> None:
    """Patch moto's DynamoDB in this process (idempotent)."""
    global _installed
    if _installed:
        return
    answer = DynamoHandler.call_action

    query = Table.query

    @functools.wraps(answer)
    def call_action_alone(self: DynamoHandler) -> Any:
        with _lock:
            try:
                return answer(self)
            finally:
                if self._get_action() not in _READS:
                    for name in _written_tables(getattr(self, "body", None)):
                        _generations[name] = _generations.get(name, 0) + 1

    signature = inspect.signature(query)

    @functools.wraps(query)
    def query_one_partition(self: Table, *args: Any, **kwargs: Any) -> Any:
        given = signature.bind(self, *args, **kwargs).arguments
        candidates = _partition(
            self, given["hash_key"], given.get("index_name"), given.get("hash_key_conditions")
        )
        if candidates is None:
            return query(self, *args, **kwargs)
        self.all_items = lambda: candidates  # type: ignore[method-assign]
        try:
            return query(self, *args, **kwargs)
        finally:
            del self.all_items

    get_item = Table.get_item
    delete_item = Table.delete_item

    @functools.wraps(get_item)
    def get_item_without_inserting(
        self: Table,
        hash_key: DynamoType,
        range_key: DynamoType | None = None,
        projection_expression: list[list[str]] | None = None,
    ) -> Item | None:
        if range_key and hash_key not in self.items:
            return None  # moto's self.items[hash_key][range_key] would insert {} for it
        return get_item(self, hash_key, range_key, projection_expression)

    @functools.wraps(delete_item)
    def delete_item_and_empty_key(
        self: Table, hash_key: DynamoType, range_key: DynamoType | None
    ) -> Item | None:
        if range_key and hash_key not in self.items:
            return None
        try:
            return delete_item(self, hash_key, range_key)
        finally:
            if range_key and hash_key in self.items and not self.items[hash_key]:
                del self.items[hash_key]

    DynamoHandler.call_action = call_action_alone  # type: ignore[method-assign]
    Table.get_item = get_item_without_inserting  # type: ignore[method-assign]
    Table.delete_item = delete_item_and_empty_key  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.query = query_one_partition  # type: ignore[method-assign]
    _installed = True


def _written_tables(body: Any) -> set[str]:
    """The tables a write request names (``{"*"}`` when it names none we can read)."""
    if not isinstance(body, dict):
        return {"*"}
    names: set[str] = set()
    if isinstance(body.get("TableName"), str):
        names.add(body["TableName"])
    if isinstance(body.get("RequestItems"), dict):
        names.update(body["RequestItems"])
    for item in body.get("TransactItems") or []:
        for op in item.values() if isinstance(item, dict) else []:
            if isinstance(op, dict) and isinstance(op.get("TableName"), str):
                names.add(op["TableName"])
    # A table may be named by its ARN (arn:aws:dynamodb:<region>:<account>:table/<name>).
    return {name.split(":table/", 1)[-1] for name in names} or {"*"}


def _partition(
    table: Table,
    hash_key: DynamoType | None,
    index_name: str | None,
    hash_key_conditions: list[tuple[str, DynamoType]] | None,
) -> list[Item] | None:
    """The items a Query can match (None: let moto walk the table)."""
    if not index_name:
        if hash_key is None:
            return None
        found = table.items.get(hash_key)  # not [..]: items is a defaultdict
        if found is None:
            return []
        return list(found.values()) if table.range_key_attr else [found]  # type: ignore[list-item]
    if not hash_key_conditions:
        return None
    attribute, value = hash_key_conditions[0]
    cache: dict[str, Any] = table.__dict__.setdefault("_bazaar_partitions", {})
    generation = (_generations.get(table.name, 0), _generations.get("*", 0))
    if cache.get("generation") != generation:
        cache.clear()
        cache["generation"] = generation
    by_value = cache.get(attribute)
    if by_value is None:
        by_value = {}
        for item in Table.all_items(table):
            key = item.attrs.get(attribute)
            if key is not None:
                by_value.setdefault(key, []).append(item)
        cache[attribute] = by_value
    return list(by_value.get(value, ()))


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        key: dict[str, Any] = op["Key"]
        return key
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _condition_holds(backend: DynamoDBBackend, op: dict[str, Any], key: dict[str, Any]) -> bool:
    condition = op.get("ConditionExpression")
    if condition is None:
        return True
    expression = get_filter_expression(
        condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    return bool(expression.expr(backend.get_item(op["TableName"], key)))


def _old_item(backend: DynamoDBBackend, table_name: str, key: dict[str, Any]) -> Any:
    current = backend.get_item(table_name, key)
    return copy.deepcopy(current.to_json()["Attributes"]) if current else None


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    table_name = op["TableName"]
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(table_name, op["Item"])
    elif op_type == "Delete":
        backend.delete_item(table_name, key)
    elif op_type == "Update":
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=names,  # type: ignore[arg-type]  # moto takes None
            expression_attribute_values=values,  # type: ignore[arg-type]
        )


def _undo(backend: DynamoDBBackend, written: list[tuple[str, dict[str, Any], Any]]) -> None:
    for table_name, key, old in reversed(written):
        if old is None:
            backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, old)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """All or nothing; on cancellation only this transaction's own items are restored."""
    if len(transact_items) > MAX_TRANSACTION_ITEMS:
        raise TooManyTransactionsException()
    with _lock:
        planned: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        reasons: list[Reason] = []
        seen: set[tuple[str, str]] = set()
        for item in transact_items:
            if len(item) > 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(item.items()))
            try:
                if op_type not in _OPERATIONS:
                    raise ValueError("Unsupported transaction operation")
                key = _key_of(self, op_type, op)
                target = (str(op["TableName"]), str(dict(sorted(key.items()))))
                if target in seen:
                    raise MultipleTransactionsException()
                seen.add(target)
                planned.append((op_type, op, key))
                if _condition_holds(self, op, key):
                    reasons.append((None, None, None))
                else:
                    old = _old_item(self, op["TableName"], key)
                    wanted = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
                    reasons.append((CONDITION_FAILED, CONDITION_MESSAGE, old if wanted else None))
            except MockValidationException:
                raise
            except Exception as error:  # noqa: BLE001 - moto reports any other failure per item
                reasons.append((type(error).__name__, str(error), None))
        if any(code is not None for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)

        written: list[tuple[str, dict[str, Any], Any]] = []
        for index, (op_type, op, key) in enumerate(planned):
            if op_type == "ConditionCheck":
                continue
            old = _old_item(self, op["TableName"], key)
            try:
                _apply(self, op_type, op, key)
            except Exception as error:
                _undo(self, written)
                if isinstance(error, MockValidationException):
                    raise
                failed: list[Reason] = [(None, None, None)] * len(planned)
                failed[index] = (type(error).__name__, str(error), None)
                raise TransactionCanceledException(failed) from error
            written.append((op["TableName"], key, old))
