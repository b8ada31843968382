"""Platform routes through the Chalice test client, against moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
from openapi_spec_validator import validate

from localcloud.deploy import Deployment


def test_health_is_ok_when_tables_and_bus_answer(api: Any) -> None:
    response = api.http.get("/health")
    assert response.status_code == 200
    assert response.json_body["ok"] is True
    assert len(response.json_body["checks"]) == 3


def test_health_is_503_when_a_table_is_missing(api: Any, fresh_aws_env: Deployment) -> None:
    boto3.client("dynamodb").delete_table(TableName=fresh_aws_env.physical["EventArchiveTable"])
    response = api.http.get("/health")
    assert response.status_code == 503
    failed = [name for name, check in response.json_body["checks"].items() if not check["ok"]]
    assert failed == ["table:bazaar-test-event-archive"]


def test_status_lists_registered_components(api: Any) -> None:
    body = api.http.get("/status").json_body
    assert body["service"] == "bazaar"
    assert body["stage"] == "test"
    assert set(body["components"]) == {"platform", "identity", "catalog", "cart", "orders"}
    assert all(component["ok"] for component in body["components"].values())


def test_openapi_is_valid_and_covers_every_route(api: Any) -> None:
    import app

    spec = json.loads(api.http.get("/openapi.json").body)
    validate(spec)
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routed = {(path, method) for path, methods in app.app.routes.items() for method in methods}
    assert documented == routed
    health = spec["paths"]["/health"]["get"]
    assert health["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "HealthResponse"
    )


def test_docs_page_is_html(api: Any) -> None:
    response = api.http.get("/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
