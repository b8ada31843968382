"""Client logs on moto: POST /logs → queue → consumer → the admins' download."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from localcloud.deploy import Deployment, QueueSource
from localcloud.lambdas import LambdaRuntime
from localcloud.pollers import QueuePoller
from tests.fixtures.http import ApiClient

PASSWORD = "Sturdy-Pass-2026"


@pytest.fixture(autouse=True)
def fast_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "BAZAAR_ARGON2_TIME_COST": "1",
        "BAZAAR_ARGON2_MEMORY_KIB": "8",
        "BAZAAR_ARGON2_PARALLELISM": "1",
        "BAZAAR_LOG_BATCHES_PER_MINUTE": "3",
    }.items():
        monkeypatch.setenv(key, value)
    from chalicelib.core.settings import reset_settings

    reset_settings()


def pump(deployment: Deployment) -> int:
    runtime = LambdaRuntime("us-east-1")
    for spec in deployment.functions.values():
        runtime.register(spec)
    url = deployment.physical["ClientLogsQueue"]
    source = QueueSource(
        function="bazaar-test-client-logs",
        queue_url=url,
        queue_arn=f"arn:aws:sqs:us-east-1:{deployment.account_id}:{url.rsplit('/', 1)[1]}",
        batch_size=10,
        report_batch_item_failures=True,
    )
    poller = QueuePoller(source, runtime, boto3.client("sqs"), wait_seconds=0, fast_retry=True)
    total = 0
    for _ in range(50):
        handled = poller.poll_once()
        if not handled:
            return total
        total += handled
    raise AssertionError("queue did not drain")


def header(response: Any, name: str) -> str:
    return next(v for k, v in response.headers.items() if k.lower() == name)


def account(http: ApiClient, email: str, role: str) -> str:
    from chalicelib.identity.service import admin

    admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
    return http.sign_in(email, PASSWORD)


def test_posted_logs_are_stored_and_downloaded_by_admins(aws_env: Deployment, api: Any) -> None:
    http = ApiClient(api)
    admin_token = account(http, "boss@logs.example.com", "admin")
    shopper_token = account(http, "ann@logs.example.com", "user")
    # Given an anonymous batch and a signed-in one
    anonymous = http.call(
        "POST",
        "/logs",
        {"entries": [{"level": "info", "message": "opened", "app_version": "web-1"}]},
    )
    assert anonymous.status_code == 202, anonymous.body
    signed = http.call(
        "POST",
        "/logs",
        {
            "entries": [
                {"level": "error", "message": 'pay button, "quoted"', "context": {"n": 1}},
                {"level": "debug", "message": "noise"},
            ]
        },
        token=shopper_token,
    )
    assert signed.json_body["accepted"] == 2
    assert pump(aws_env) == 2
    # When an admin downloads the range
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    window = urlencode({"from": start, "to": end})
    ndjson = http.call("GET", f"/admin/logs?{window}", token=admin_token)
    assert ndjson.status_code == 200, ndjson.body
    assert header(ndjson, "content-type") == "application/x-ndjson"
    body = ndjson.body.decode() if isinstance(ndjson.body, bytes) else ndjson.body
    rows = [json.loads(line) for line in body.splitlines()]
    assert sorted(r["message"] for r in rows) == ["noise", "opened", 'pay button, "quoted"']
    by_message = {r["message"]: r for r in rows}
    assert by_message["opened"]["account_id"] is None
    assert by_message["noise"]["account_id"] is not None
    as_csv = http.call("GET", f"/admin/logs?{window}&format=csv&level=error", token=admin_token)
    text = as_csv.body.decode() if isinstance(as_csv.body, bytes) else as_csv.body
    table = list(csv.DictReader(io.StringIO(text)))
    assert [(r["level"], r["message"], r["context"]) for r in table] == [
        ("error", 'pay button, "quoted"', '{"n":1}')
    ]
    assert header(as_csv, "content-type").startswith("text/csv")
    # Then nobody else may, and bad input is a 4xx
    assert http.call("GET", f"/admin/logs?{window}", token=shopper_token).status_code == 403
    assert http.call("GET", "/admin/logs?from=x&to=y", token=admin_token).status_code == 400
    assert http.call("GET", "/admin/logs", token=admin_token).status_code == 422
    bad_level = http.call("GET", f"/admin/logs?{window}&level=loud", token=admin_token)
    assert bad_level.status_code == 422


def test_bad_batches_tokens_and_floods_are_refused(aws_env: Deployment, api: Any) -> None:
    http = ApiClient(api)
    one = {"entries": [{"level": "info", "message": "hi"}]}
    assert http.call("POST", "/logs", {"entries": []}).status_code == 422
    assert (
        http.call("POST", "/logs", {"entries": [{"level": "loud", "message": "x"}]}).status_code
        == 422
    )
    too_many = {"entries": [{"level": "info", "message": "x"}] * 51}
    assert http.call("POST", "/logs", too_many).status_code == 422
    assert http.call("POST", "/logs", one, token="not-a-token").status_code == 401
    statuses = [http.call("POST", "/logs", one).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
