"""moto's DynamoDB with localcloud/dynamodb.py installed: isolated like DynamoDB under races,
and a Query reads one partition (the answers stay moto's)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from localcloud import dynamodb

TABLE = "races"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield ddb


def _put(pk: str, **attrs: Any) -> dict[str, Any]:
    item = {"pk": {"S": pk}, **attrs}
    return {"Put": {"TableName": TABLE, "Item": item}}


def _take(pk: str, units: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": {"pk": {"S": pk}},
            "UpdateExpression": "ADD stock :minus",
            "ConditionExpression": "stock >= :units",
            "ExpressionAttributeValues": {
                ":minus": {"N": str(-units)},
                ":units": {"N": str(units)},
            },
        }
    }


def _keys(client: Any) -> set[str]:
    return {item["pk"]["S"] for item in client.scan(TableName=TABLE)["Items"]}


def _cancellation(client: Any, items: list[dict[str, Any]]) -> list[str]:
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(TransactItems=items)
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    return [reason["Code"] for reason in raised.value.response["CancellationReasons"]]


def test_a_cancelled_transaction_keeps_what_others_wrote_meanwhile(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given another client's write that lands while a transaction is being evaluated
    client.put_item(TableName=TABLE, Item={"pk": {"S": "lamp"}, "stock": {"N": "1"}})
    evaluate = dynamodb._condition_holds
    landed: list[bool] = []

    def with_a_write_meanwhile(backend: DynamoDBBackend, op: Any, key: Any) -> bool:
        if not landed:
            landed.append(True)
            backend.put_item(TABLE, {"pk": {"S": "someone-elses"}})
        return evaluate(backend, op, key)

    monkeypatch.setattr(dynamodb, "_condition_holds", with_a_write_meanwhile)

    # When the transaction is cancelled (not enough stock)
    reasons = _cancellation(client, [_put("order-1"), _take("lamp", 2)])

    # Then only its own items are rolled back: the other write stays (moto alone drops it)
    assert reasons == ["None", "ConditionalCheckFailed"]
    assert _keys(client) == {"lamp", "someone-elses"}


def test_a_write_failing_midway_is_undone_item_by_item(client: Any) -> None:
    client.put_item(TableName=TABLE, Item={"pk": {"S": "kept"}, "name": {"S": "same"}})
    client.put_item(TableName=TABLE, Item={"pk": {"S": "text"}, "stock": {"S": "many"}})
    # ADD on a string passes the (absent) condition and fails only when applied.
    with pytest.raises(ClientError):
        client.transact_write_items(
            TransactItems=[
                _put("kept", name={"S": "changed"}),
                _put("new"),
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "text"}},
                        "UpdateExpression": "ADD stock :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    assert _keys(client) == {"kept", "text"}
    kept = client.get_item(TableName=TABLE, Key={"pk": {"S": "kept"}})["Item"]
    assert kept["name"]["S"] == "same"


def test_two_writes_to_one_item_are_refused_and_nothing_changes(client: Any) -> None:
    client.put_item(TableName=TABLE, Item={"pk": {"S": "lamp"}, "stock": {"N": "3"}})
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            TransactItems=[_put("order-1"), _take("lamp", 1), _take("lamp", 1)]
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert _keys(client) == {"lamp"}
    assert client.get_item(TableName=TABLE, Key={"pk": {"S": "lamp"}})["Item"]["stock"]["N"] == "3"


def test_racing_transactions_and_writes_lose_nothing(client: Any) -> None:
    # 5 units, 40 buyers each taking 1 with an order record, while 40 other writes land.
    client.put_item(TableName=TABLE, Item={"pk": {"S": "lamp"}, "stock": {"N": "5"}})

    def buy(n: int) -> bool:
        try:
            client.transact_write_items(TransactItems=[_put(f"order-{n}"), _take("lamp", 1)])
        except ClientError:
            return False
        return True

    def write(n: int) -> None:
        client.put_item(TableName=TABLE, Item={"pk": {"S": f"other-{n}"}})

    with ThreadPoolExecutor(max_workers=16) as pool:
        buys = []
        for n in range(40):
            buys.append(pool.submit(buy, n))
            pool.submit(write, n)
    bought = [future.result() for future in buys]
    keys = _keys(client)
    stock = client.get_item(TableName=TABLE, Key={"pk": {"S": "lamp"}})["Item"]["stock"]["N"]
    assert sum(bought) == 5
    assert stock == "0"
    assert {f"order-{n}" for n, ok in enumerate(bought) if ok} == {
        key for key in keys if key.startswith("order-")
    }
    assert {f"other-{n}" for n in range(40)} <= keys


def test_queries_follow_items_that_move_between_index_partitions() -> None:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="orders",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in ("pk", "sk", "status", "at")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_status",
                    "KeySchema": [
                        {"AttributeName": "status", "KeyType": "HASH"},
                        {"AttributeName": "at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for n in range(6):
            ddb.put_item(
                TableName="orders",
                Item={
                    "pk": {"S": f"o{n % 2}"},
                    "sk": {"S": f"line{n}"},
                    "status": {"S": "PENDING"},
                    "at": {"S": f"2026-11-0{n + 1}"},
                },
            )

        def by_status(status: str, before: str = "2027") -> list[str]:
            answer = ddb.query(
                TableName="orders",
                IndexName="by_status",
                KeyConditionExpression="#s = :s AND #at < :before",
                ExpressionAttributeNames={"#s": "status", "#at": "at"},
                ExpressionAttributeValues={":s": {"S": status}, ":before": {"S": before}},
            )
            return [item["sk"]["S"] for item in answer["Items"]]

        def of_order(pk: str) -> list[str]:
            answer = ddb.query(
                TableName="orders",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
            )
            return [item["sk"]["S"] for item in answer["Items"]]

        assert by_status("PENDING") == [f"line{n}" for n in range(6)]
        assert by_status("PENDING", before="2026-11-03") == ["line0", "line1"]
        assert of_order("o1") == ["line1", "line3", "line5"]
        assert of_order("nobody") == []
        # An update moves an item to another partition of the index (in place in moto).
        ddb.update_item(
            TableName="orders",
            Key={"pk": {"S": "o0"}, "sk": {"S": "line2"}},
            UpdateExpression="SET #s = :paid",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":paid": {"S": "PAID"}},
        )
        ddb.delete_item(TableName="orders", Key={"pk": {"S": "o1"}, "sk": {"S": "line3"}})
        assert by_status("PENDING") == ["line0", "line1", "line4", "line5"]
        assert by_status("PAID") == ["line2"]
        assert of_order("o1") == ["line1", "line5"]


# ---------- memory: reads of missing items leave nothing behind ----------
def _hash_keys(table_name: str) -> int:
    """How many hash keys moto's table holds (its ``items`` defaultdict)."""
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends["123456789012"]["us-east-1"]
    return len(backend.get_table(table_name).items)


def test_anonymous_searches_with_new_words_do_not_grow_the_search_table(
    aws_env: Any, api: Any
) -> None:
    # Given the deployed search table, read once so any lazy set-up is done
    from chalicelib.core.settings import get_settings

    table = get_settings().search_table
    assert api.http.get("/products?q=warmup").status_code == 200
    before = _hash_keys(table)
    # When N anonymous searches each ask for words and filters nobody has used
    searches = 60
    for n in range(searches):
        words = " ".join(f"w{n}x{k}" for k in range(5))
        response = api.http.get(f"/products?q={words}&tags=t{n}&colors=c{n}&brand=b{n}")
        assert response.status_code == 200
    # Then moto's table holds no more hash keys than before (each missing COUNT# item read
    # used to leave an empty entry behind: 8 per search here)
    assert _hash_keys(table) == before


def test_a_missing_item_read_or_deleted_leaves_no_entry(client: Any) -> None:
    # Given a table with a range key
    client.create_table(
        TableName="ranged",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName="ranged", Item={"pk": {"S": "a"}, "sk": {"S": "1"}})
    # When missing items are read, batch-read and deleted, and the one item deleted
    for n in range(20):
        key = {"pk": {"S": f"missing{n}"}, "sk": {"S": "1"}}
        assert "Item" not in client.get_item(TableName="ranged", Key=key)
        client.batch_get_item(RequestItems={"ranged": {"Keys": [key]}})
        client.delete_item(TableName="ranged", Key=key)
    client.delete_item(TableName="ranged", Key={"pk": {"S": "a"}, "sk": {"S": "1"}})
    # Then moto holds no entry for any of those hash keys
    assert _hash_keys("ranged") == 0
    # and reads and writes still answer as before
    client.put_item(TableName="ranged", Item={"pk": {"S": "a"}, "sk": {"S": "2"}})
    got = client.get_item(TableName="ranged", Key={"pk": {"S": "a"}, "sk": {"S": "2"}})
    assert got["Item"]["sk"] == {"S": "2"}
