"""The platform's wiring, proven on the running local cloud with real clients."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import httpx
import pytest
import websockets
from botocore.exceptions import ClientError

from tests.fixtures.cloud import DEMO_SHOPPER, RunningCloud, wait_for

pytestmark = pytest.mark.system


def archived(cloud: RunningCloud, event_id: str) -> dict[str, Any] | None:
    table = cloud.info()["resources"]["EventArchiveTable"]
    item = cloud.client("dynamodb").get_item(TableName=table, Key={"event_id": {"S": event_id}})
    return item.get("Item")


def media_event_detail(key: str) -> dict[str, Any]:
    return {
        "metadata": {
            "event_id": str(uuid.uuid4()),
            "occurred_at": "2026-11-21T10:00:00+00:00",
            "version": 1,
        },
        "data": {"bucket": "b", "key": key, "size": 3, "etag": "abc", "content_type": "image/png"},
    }


# ---------- REST ----------
def test_health_answers_ok_through_the_rest_endpoint(cloud: RunningCloud) -> None:
    response = httpx.get(f"{cloud.rest}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert {name.split(":")[0] for name in body["checks"]} == {"table", "bus"}
    assert response.headers["x-request-id"]


def test_unknown_route_wrong_method_and_big_body_get_json_errors(cloud: RunningCloud) -> None:
    missing = httpx.get(f"{cloud.rest}/no/such/route")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    assert missing.json()["error"]["request_id"]

    wrong = httpx.post(f"{cloud.rest}/health", json={})
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert wrong.headers["allow"] == "GET"

    huge = httpx.request("GET", f"{cloud.rest}/health", content=b"x" * (1_048_576 + 1))
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    ("segment", "product_id"), [("%3F", "?"), ("%23", "#"), ("%0A", "\n"), ("caf%C3%A9", "café")]
)
def test_an_encoded_path_segment_is_a_product_id_not_the_list(
    cloud: RunningCloud, segment: str, product_id: str
) -> None:
    # Given the product route /products/{product_id} and the list at /products
    # When the id is an encoded character API Gateway would pass decoded
    response = httpx.get(f"{cloud.rest}/products/{segment}")
    # Then the product route answers: the catalog's 404, not the list or the gateway's 404
    assert response.status_code == 404
    body = response.json()
    assert "items" not in body
    assert body["error"]["code"] == "NOT_FOUND"
    assert body["error"]["details"] == {"product_id": product_id}


def test_a_fresh_seeded_cloud_signs_in_the_demo_shopper_on_its_first_request(
    cloud: RunningCloud,
) -> None:
    # Given the session's fresh local cloud, which seeds the demo data
    # When its first request after "ready" signs in as the demo shopper (the fixture made it)
    response = cloud.first_login
    output = "".join(cloud.output)
    # Then it succeeds: seeding finished before the ports served anything
    assert response is not None
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]
    # and the banner's time covers the seeding and is no more than what we measured outside
    seeded = re.search(r"seeded in ([0-9.]+)s", output)
    ready = re.search(r"localcloud ready in ([0-9.]+)s", output)
    assert seeded, output
    assert ready, output
    assert output.index("seeded in") < output.index("localcloud ready")
    assert float(seeded.group(1)) <= float(ready.group(1)) <= cloud.startup_s


def test_openapi_and_docs_are_served(cloud: RunningCloud) -> None:
    spec = httpx.get(f"{cloud.rest}/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/health", "/status", "/openapi.json", "/docs"} <= set(spec["paths"])
    page = httpx.get(f"{cloud.rest}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "openapi.json" in page.text


# ---------- WebSocket ----------
# $connect needs an access token (issue 3): the seeded demo shopper signs in over HTTP.


@pytest.fixture(scope="module")
def shopper_token(cloud: RunningCloud) -> str:
    response = httpx.post(f"{cloud.rest}/auth/login", json=DEMO_SHOPPER)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def signed_in(cloud: RunningCloud, token: str) -> str:
    return f"{cloud.websocket}/?token={token}"


def test_websocket_connect_echo_send_to_another_and_disconnect(
    cloud: RunningCloud, shopper_token: str
) -> None:
    management = cloud.client("apigatewaymanagementapi", endpoint_url=cloud.management)
    table = cloud.info()["resources"]["ConnectionsTable"]
    dynamodb = cloud.client("dynamodb")

    async def scenario() -> None:
        async with (
            websockets.connect(signed_in(cloud, shopper_token)) as first,
            websockets.connect(signed_in(cloud, shopper_token)) as second,
        ):
            await first.send(json.dumps({"action": "echo", "data": {"n": 1}}))
            assert json.loads(await first.recv()) == {"type": "echo", "data": {"n": 1}}

            await first.send(json.dumps({"action": "ping"}))
            assert json.loads(await first.recv()) == {"type": "pong"}

            await first.send("not json")
            assert json.loads(await first.recv())["error"]["code"] == "VALIDATION_FAILED"

            # A frame nested deeper than the limit (1,000 levels, ~2 KB, as the outside check
            # sent) gets an error frame; the connection stays open.
            await first.send('{"action": "echo", "data": ' + "[" * 1000 + "]" * 1000 + "}")
            assert json.loads(await first.recv())["error"]["code"] == "JSON_TOO_DEEP"
            await first.send(json.dumps({"action": "ping"}))
            assert json.loads(await first.recv()) == {"type": "pong"}

            items = dynamodb.scan(TableName=table)["Items"]
            ids = {item["connection_id"]["S"] for item in items}
            assert len(ids) >= 2
            assert {item["role"]["S"] for item in items} == {"user"}
            # The server side sends to "the other" connection through @connections.
            await first.send(json.dumps({"action": "echo", "data": "who"}))
            await first.recv()
            for conn_id in ids:
                management.post_to_connection(ConnectionId=conn_id, Data=b'{"type":"note"}')
            assert json.loads(await second.recv()) == {"type": "note"}
            assert json.loads(await first.recv()) == {"type": "note"}
            described = management.get_connection(ConnectionId=next(iter(ids)))
            assert described["Identity"]["SourceIp"] == "127.0.0.1"

    asyncio.run(scenario())
    # $disconnect removed both records.
    wait_for(lambda: not dynamodb.scan(TableName=table)["Items"], what="connection records removed")


def test_connect_without_a_valid_token_is_rejected_with_401(
    cloud: RunningCloud, shopper_token: str
) -> None:
    async def scenario(url: str, **options: Any) -> int:
        try:
            async with websockets.connect(url, **options) as socket:
                await socket.close()
        except websockets.InvalidStatus as rejected:
            return rejected.response.status_code
        return 101

    for url in (
        cloud.websocket,
        cloud.websocket + "/?fail=1",
        cloud.websocket + "/?token=not-a-token",
        cloud.websocket + "/?token=" + shopper_token[:-4] + "AAAA",
    ):
        assert asyncio.run(scenario(url)) == 401, url
    header = {"additional_headers": {"Authorization": f"Bearer {shopper_token}"}}
    assert asyncio.run(scenario(cloud.websocket, **header)) == 101
    table = cloud.info()["resources"]["ConnectionsTable"]
    dynamodb = cloud.client("dynamodb")
    wait_for(lambda: not dynamodb.scan(TableName=table)["Items"], what="connection records removed")


def test_server_side_delete_closes_the_socket_and_gone_ids_answer_410(
    cloud: RunningCloud, shopper_token: str
) -> None:
    management = cloud.client("apigatewaymanagementapi", endpoint_url=cloud.management)
    table = cloud.info()["resources"]["ConnectionsTable"]
    dynamodb = cloud.client("dynamodb")

    async def scenario() -> None:
        async with websockets.connect(signed_in(cloud, shopper_token)) as socket:
            conn_id = wait_for(
                lambda: next(iter(dynamodb.scan(TableName=table)["Items"]), None),
                what="connection record",
            )["connection_id"]["S"]
            # Off the event loop: the client must keep reading while the server closes.
            await asyncio.to_thread(management.delete_connection, ConnectionId=conn_id)
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), timeout=10)
            with pytest.raises(ClientError) as gone:
                management.post_to_connection(ConnectionId=conn_id, Data=b"x")
            assert gone.value.response["Error"]["Code"] == "GoneException"
            assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410

    asyncio.run(scenario())


def test_stale_connection_record_is_removed_by_the_scheduled_cleanup(cloud: RunningCloud) -> None:
    table = cloud.info()["resources"]["ConnectionsTable"]
    dynamodb = cloud.client("dynamodb")
    stale_id = "STALEconnAA="
    dynamodb.put_item(
        TableName=table,
        Item={
            "connection_id": {"S": stale_id},
            "connected_at": {"S": "2026-11-21T10:00:00.000000+0000"},
            "expires_at": {"N": str(int(time.time()) + 3600)},
        },
    )
    schedule = next(
        s["name"] for s in cloud.info()["schedules"] if "connections-cleanup" in s["name"]
    )
    result = cloud.run_schedule(schedule)
    assert result["error"] is None
    assert result["payload"]["removed"] >= 1
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"connection_id": {"S": stale_id}})


# ---------- Step Functions ----------
def run_selftest(
    cloud: RunningCloud, run: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = cloud.client("stepfunctions")
    arn = cloud.info()["state_machines"]["SelfTestStateMachine"]
    started = sfn.start_execution(
        stateMachineArn=arn, name=f"t-{uuid.uuid4()}", input=json.dumps({"run": run})
    )
    described = wait_for(
        lambda: (
            (d := sfn.describe_execution(executionArn=started["executionArn"]))["status"]
            != "RUNNING"
            and d
        ),
        what="execution to finish",
    )
    history = sfn.get_execution_history(executionArn=started["executionArn"], maxResults=1000)[
        "events"
    ]
    return described, history


def entered(history: list[dict[str, Any]]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")
    ]


def test_saga_succeeds_and_runs_our_handlers(cloud: RunningCloud) -> None:
    described, history = run_selftest(cloud, {})
    assert described["status"] == "SUCCEEDED"
    assert entered(history) == ["Reserve", "Charge", "Confirm", "Succeeded"]
    assert json.loads(described["output"])["confirm"] == {"confirmed": True}


def test_saga_retries_a_transient_error_then_succeeds(cloud: RunningCloud) -> None:
    described, history = run_selftest(cloud, {"fail": {"charge": "transient:2"}})
    assert described["status"] == "SUCCEEDED"
    failures = [
        e for e in history if e["type"] == "LambdaFunctionFailed" or e["type"] == "TaskFailed"
    ]
    assert len(failures) == 2
    assert all("TransientStepError" in json.dumps(e, default=str) for e in failures)


def test_saga_compensates_a_business_error_in_reverse(cloud: RunningCloud) -> None:
    described, history = run_selftest(cloud, {"fail": {"confirm": "business"}})
    assert described["status"] == "FAILED"
    assert described["error"] == "SagaCompensated"
    assert entered(history) == ["Reserve", "Charge", "Confirm", "Refund", "Release", "Compensated"]

    described, history = run_selftest(cloud, {"fail": {"charge": "business"}})
    assert entered(history) == ["Reserve", "Charge", "Release", "Compensated"]


# ---------- EventBridge, S3, SQS ----------
def test_event_on_the_bus_reaches_its_consumer(cloud: RunningCloud) -> None:
    detail = media_event_detail("bus/test.png")
    result = cloud.client("events").put_events(
        Entries=[
            {
                "Source": "bazaar.media",
                "DetailType": "media.uploaded",
                "Detail": json.dumps(detail),
                "EventBusName": cloud.info()["resources"]["EventBus"],
            }
        ]
    )
    assert result["FailedEntryCount"] == 0
    item = wait_for(lambda: archived(cloud, detail["metadata"]["event_id"]), what="archived event")
    assert item["detail_type"]["S"] == "media.uploaded"


def test_s3_upload_reaches_its_consumer_and_is_announced(cloud: RunningCloud) -> None:
    info = cloud.info()
    bucket = info["resources"]["MediaBucket"]
    key = f"uploads/{uuid.uuid4()} photo.png"
    cloud.client("s3").put_object(
        Bucket=bucket, Key=key, Body=b"\x89PNG....", ContentType="image/png"
    )
    table = info["resources"]["EventArchiveTable"]
    dynamodb = cloud.client("dynamodb")

    def announced() -> dict[str, Any] | None:
        items = dynamodb.query(
            TableName=table,
            IndexName="by-type",
            KeyConditionExpression="detail_type = :t",
            ExpressionAttributeValues={":t": {"S": "media.uploaded"}},
        )["Items"]
        for item in items:
            if json.loads(item["detail"]["S"])["data"]["key"] == key:
                return item
        return None

    item = wait_for(announced, what="media.uploaded archived for the upload")
    data = json.loads(item["detail"]["S"])["data"]
    assert data["size"] == 8
    assert data["content_type"] == "image/png"


def test_poisoned_message_goes_to_dlq_after_max_receives_and_batch_mates_succeed(
    cloud: RunningCloud,
) -> None:
    info = cloud.info()
    sqs = cloud.client("sqs")
    queue_url = info["resources"]["EventArchiveQueue"]
    dlq_url = info["resources"]["EventArchiveDLQ"]
    good = [media_event_detail(f"batch/{n}.png") for n in range(2)]
    entries = [
        {
            "Id": f"good{n}",
            "MessageBody": json.dumps(
                {
                    "version": "0",
                    "id": str(uuid.uuid4()),
                    "source": "bazaar.media",
                    "detail-type": "media.uploaded",
                    "time": "2026-11-21T10:00:00Z",
                    "detail": detail,
                }
            ),
        }
        for n, detail in enumerate(good)
    ]
    poison_marker = str(uuid.uuid4())
    entries.insert(1, {"Id": "poison", "MessageBody": f"not an event {poison_marker}"})
    sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)

    for detail in good:
        wait_for(
            lambda detail=detail: archived(cloud, detail["metadata"]["event_id"]),
            what="good records archived",
        )

    def in_dlq() -> dict[str, Any] | None:
        for message in sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=0
        ).get("Messages", []):
            if poison_marker in message["Body"]:
                return message
        return None

    message = wait_for(in_dlq, what="poison message in the DLQ")
    assert int(message["Attributes"]["ApproximateReceiveCount"]) >= 3
