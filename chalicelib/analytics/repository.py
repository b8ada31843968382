"""Where analytics lives: the analytics table, the events queue and the raw event lake.

``AnalyticsRepository`` (counters, sketches, markers, rate windows), ``EventQueue`` (a
collected batch on its way to the consumer) and ``Lake`` (gzip NDJSON objects in S3) are
the ports in domain terms; the DynamoDB/SQS/S3 implementations follow. Services call
``get()``/``queue()``/``lake()``; tests swap in the in-memory fakes
(``tests/fakes/analytics.py``) with ``use(...)``; both pass
``tests/integration/analytics/test_repository_contract.py``.

Counter items have one attribute per counter (``views``, ``device:mobile``…), so this
module speaks DynamoDB's low-level API (``ADD`` on names only known at run time); the
fixed-shape items (markers, rate windows) are pynamodb models.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError

from chalicelib.analytics import models as m
from chalicelib.analytics.domain import CounterKey, DayTotals, Grain, Tally
from chalicelib.core import aws, dynamo
from chalicelib.core.dynamo import TransactionCancelledError, condition_failed
from chalicelib.core.errors import DependencyUnavailableError
from chalicelib.core.settings import get_settings

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit
HIGH = "\uffff"


class AnalyticsRepository(Protocol):
    """Counters per scope and period, visitor sketches, batch markers, rate windows."""

    def add_counts(self, batches: Mapping[str, int], counts: Tally, *, expires_at: int) -> set[str]:
        """In one transaction: a marker for each batch id (with its number of facts), only
        where none exists yet, and every item's counts added. Returns the batch ids that
        were already marked; then nothing at all was written. At most
        MAX_TRANSACTION_ITEMS markers and items together."""
        ...

    def sketches(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[bytes | None, int]]:
        """The visitor sketch and its version of each ``(scope, day)`` (None, 0 if none)."""
        ...

    def save_sketch(self, scope: str, day: str, sketch: bytes, *, version: int) -> bool:
        """Store the day's sketch if its version is still ``version``; False otherwise."""
        ...

    def days(self, scope: str, start: str, end: str) -> list[DayTotals]:
        """The scope's day items from ``start`` to ``end`` (inclusive), by day."""
        ...

    def products(
        self, scope: str, grain: Grain, start: str, end: str
    ) -> list[tuple[str, dict[str, int]]]:
        """``(product id, counters)`` of the scope's product items of ``grain``
        (PRODUCT_DAY or PRODUCT_MONTH) whose period is from ``start`` to ``end``."""
        ...

    def no_results(self, scope: str, start: str, end: str) -> list[tuple[str, int]]:
        """``(term, count)`` per day item of searches without results in the range."""
        ...

    def put_counts(self, counts: Tally, sketches: Mapping[tuple[str, str], bytes]) -> None:
        """Write items as given (replacing them): demo history only."""
        ...

    def hit_window(self, key: str, *, window_start: int, limit: int, expires_at: int) -> bool:
        """Count one hit in ``key``'s window; False (not counted) once ``limit`` is reached."""
        ...


class EventQueue(Protocol):
    def send(self, body: str) -> None:
        """Queue one collected batch (all of it, or raise: never a part)."""
        ...


class Lake(Protocol):
    def write(
        self, batch_id: str, received_at: datetime, lines: Sequence[Mapping[str, Any]]
    ) -> str:
        """Store a batch's facts as one gzip NDJSON object (the same key for the same
        batch, so a redelivery rewrites it, never adds one); returns the key."""
        ...

    def read_day(self, day: str) -> Iterator[dict[str, Any]]:
        """Every line of the objects that arrived on ``day`` (YYYY-MM-DD), in key order."""
        ...


def lake_key(batch_id: str, received_at: datetime) -> str:
    """``events/dt=YYYY-MM-DD/hour=HH/<batch id>.json.gz`` (partitioned by arrival, UTC)."""
    return f"events/dt={received_at:%Y-%m-%d}/hour={received_at:%H}/{batch_id}.json.gz"


# ---------- DynamoDB ----------
def _sort_key(key: CounterKey) -> str:
    if key.grain is Grain.DAY:
        return f"{m.DAY}{key.period}"
    if key.grain is Grain.PRODUCT_DAY:
        return f"{m.PRODUCT_DAY}{key.period}#{key.subject}"
    if key.grain is Grain.PRODUCT_MONTH:
        return f"{m.PRODUCT_MONTH}{key.period}#{key.subject}"
    return f"{m.NO_RESULTS}{key.period}#{key.subject}"


def _key(key: CounterKey) -> dict[str, Any]:
    return {"pk": {"S": m.scope_pk(key.scope)}, "sk": {"S": _sort_key(key)}}


def _counters(item: Mapping[str, Any]) -> dict[str, int]:
    return {
        name: int(value["N"])
        for name, value in item.items()
        if name not in m.NOT_COUNTERS and "N" in value
    }


def _add_update(table: str, key: CounterKey, counts: Mapping[str, int]) -> dict[str, Any]:
    names = {f"#c{i}": name for i, name in enumerate(counts)}
    values = {f":c{i}": {"N": str(value)} for i, value in enumerate(counts.values())}
    return {
        "Update": {
            "TableName": table,
            "Key": _key(key),
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


class DynamoAnalyticsRepository:
    @property
    def _table(self) -> str:
        return get_settings().analytics_table

    def _query(
        self, pk: str, low: str, high: str, projection: str | None = None
    ) -> list[dict[str, Any]]:
        client = aws.client("dynamodb")
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                ":low": {"S": low},
                ":high": {"S": high},
            },
        }
        items: list[dict[str, Any]] = []
        while True:
            page = client.query(**request)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def add_counts(self, batches: Mapping[str, int], counts: Tally, *, expires_at: int) -> set[str]:
        if len(batches) + len(counts) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"at most {MAX_TRANSACTION_ITEMS} markers and items together")
        table = self._table
        order = list(batches)
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": table,
                    "Item": {
                        "pk": {"S": m.batch_pk(batch_id)},
                        "sk": {"S": m.DONE},
                        "facts": {"N": str(batches[batch_id])},
                        "expires_at": {"N": str(expires_at)},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for batch_id in order
        ]
        items += [_add_update(table, key, values) for key, values in counts.items() if values]
        try:
            dynamo.transact_items(items)
        except TransactionCancelledError as cancelled:
            done = {batch_id for index, batch_id in enumerate(order) if cancelled.failed(index)}
            if not done:
                raise
            return done
        return set()

    def sketches(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[bytes | None, int]]:
        wanted = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], tuple[bytes | None, int]] = dict.fromkeys(wanted, (None, 0))
        client = aws.client("dynamodb")
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [
                        _key(CounterKey(scope, Grain.DAY, day))
                        for scope, day in wanted[start : start + 100]
                    ],
                    "ConsistentRead": True,
                    "ProjectionExpression": "pk, sk, hll, hll_v",
                }
            }
            for _ in range(10):
                answer = client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self._table, []):
                    scope = item["pk"]["S"].removeprefix("S#")
                    day = item["sk"]["S"].removeprefix(m.DAY)
                    sketch = item.get(m.SKETCH, {}).get("B")
                    found[(scope, day)] = (sketch, int(item.get(m.SKETCH_VERSION, {}).get("N", 0)))
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise DependencyUnavailableError("Could not read visitor sketches")
        return found

    def save_sketch(self, scope: str, day: str, sketch: bytes, *, version: int) -> bool:
        condition = "attribute_not_exists(hll_v)" if version == 0 else "hll_v = :old"
        values: dict[str, Any] = {":h": {"B": sketch}, ":new": {"N": str(version + 1)}}
        if version:
            values[":old"] = {"N": str(version)}
        try:
            aws.client("dynamodb").update_item(
                TableName=self._table,
                Key=_key(CounterKey(scope, Grain.DAY, day)),
                UpdateExpression="SET hll = :h, hll_v = :new",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def days(self, scope: str, start: str, end: str) -> list[DayTotals]:
        items = self._query(m.scope_pk(scope), f"{m.DAY}{start}", f"{m.DAY}{end}")
        return [
            DayTotals(
                day=item["sk"]["S"].removeprefix(m.DAY),
                counters=_counters(item),
                sketch=item.get(m.SKETCH, {}).get("B"),
            )
            for item in items
        ]

    def products(
        self, scope: str, grain: Grain, start: str, end: str
    ) -> list[tuple[str, dict[str, int]]]:
        prefix = m.PRODUCT_DAY if grain is Grain.PRODUCT_DAY else m.PRODUCT_MONTH
        items = self._query(m.scope_pk(scope), f"{prefix}{start}#", f"{prefix}{end}#{HIGH}")
        return [(item["sk"]["S"].split("#", 2)[2], _counters(item)) for item in items]

    def no_results(self, scope: str, start: str, end: str) -> list[tuple[str, int]]:
        items = self._query(
            m.scope_pk(scope), f"{m.NO_RESULTS}{start}#", f"{m.NO_RESULTS}{end}#{HIGH}"
        )
        return [(item["sk"]["S"].split("#", 2)[2], int(item["count"]["N"])) for item in items]

    def put_counts(self, counts: Tally, sketches: Mapping[tuple[str, str], bytes]) -> None:
        requests: list[dict[str, Any]] = []
        merged: dict[CounterKey, dict[str, Any]] = {}
        for key, values in counts.items():
            item = merged.setdefault(key, _key(key))
            item.update({name: {"N": str(value)} for name, value in values.items()})
        for (scope, day), sketch in sketches.items():
            key = CounterKey(scope, Grain.DAY, day)
            item = merged.setdefault(key, _key(key))
            item[m.SKETCH] = {"B": sketch}
            item[m.SKETCH_VERSION] = {"N": "1"}
        requests = [{"PutRequest": {"Item": item}} for item in merged.values()]
        client = aws.client("dynamodb")

        def write(start: int) -> None:
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            for _ in range(10):
                pending = (
                    client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                )
                if not pending:
                    return
            raise DependencyUnavailableError("Could not write the demo history")

        # A few writers at once: the demo history is thousands of items (make dev waits).
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, range(0, len(requests), 25)))

    def hit_window(self, key: str, *, window_start: int, limit: int, expires_at: int) -> bool:
        window = m.RateWindow(pk=m.rate_pk(key), sk=str(window_start))
        try:
            window.update(
                actions=[m.RateWindow.hits.add(1), m.RateWindow.expires_at.set(expires_at)],
                condition=m.RateWindow.hits.does_not_exist() | (m.RateWindow.hits < limit),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True


class SqsEventQueue:
    def send(self, body: str) -> None:
        url = get_settings().analytics_events_queue_url
        if not url:
            raise DependencyUnavailableError("The analytics events queue is not configured")
        try:
            aws.client("sqs").send_message(QueueUrl=url, MessageBody=body)
        except ClientError as error:
            raise DependencyUnavailableError("Could not queue the events") from error


class S3Lake:
    def write(
        self, batch_id: str, received_at: datetime, lines: Sequence[Mapping[str, Any]]
    ) -> str:
        key = lake_key(batch_id, received_at)
        text = "".join(
            json.dumps(line, separators=(",", ":"), sort_keys=True) + "\n" for line in lines
        )
        aws.client("s3").put_object(
            Bucket=get_settings().analytics_lake_bucket,
            Key=key,
            Body=gzip.compress(text.encode(), mtime=0),
            ContentType="application/gzip",
        )
        return key

    def read_day(self, day: str) -> Iterator[dict[str, Any]]:
        s3 = aws.client("s3")
        bucket = get_settings().analytics_lake_bucket
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=f"events/dt={day}/"):
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                for line in gzip.decompress(body).decode().splitlines():
                    if line.strip():
                        yield json.loads(line)


_repository: AnalyticsRepository | None = None
_queue: EventQueue | None = None
_lake: Lake | None = None


def get() -> AnalyticsRepository:
    """The repository in use: the DynamoDB one unless a test swapped in another."""
    global _repository
    if _repository is None:
        _repository = DynamoAnalyticsRepository()
    return _repository


def queue() -> EventQueue:
    global _queue
    if _queue is None:
        _queue = SqsEventQueue()
    return _queue


def lake() -> Lake:
    global _lake
    if _lake is None:
        _lake = S3Lake()
    return _lake


def use(
    repository: AnalyticsRepository | None = None,
    *,
    events_queue: EventQueue | None = None,
    event_lake: Lake | None = None,
) -> None:
    """Use these from now on (None: back to the AWS ones)."""
    global _repository, _queue, _lake
    _repository, _queue, _lake = repository, events_queue, event_lake
