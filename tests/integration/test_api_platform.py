"""Platform routes through the Chalice test client, against moto."""

from __future__ import annotations

import json
import re
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
    assert set(body["components"]) == {
        "platform",
        "identity",
        "catalog",
        "cart",
        "orders",
        "chat",
        "reviews",
    }
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


def test_deeply_nested_json_to_any_route_is_a_400(api: Any) -> None:
    # Given 1,000 nested brackets (~2 KB), anonymous
    body = "[" * 1000 + "]" * 1000
    # When sent to sign-in and to the refresh route
    for path in ("/auth/login", "/auth/refresh"):
        response = api.http.post(path, headers={"Content-Type": "application/json"}, body=body)
        # Then each is a 400 naming the depth limit, never a 500
        assert response.status_code == 400, (path, response.body)
        assert json.loads(response.body)["error"]["code"] == "JSON_TOO_DEEP"


def test_openapi_documents_every_status_header_and_required_field(api: Any) -> None:
    # Given the served description
    spec = json.loads(api.http.get("/openapi.json").body)
    text = json.dumps(spec)
    schemas = spec["components"]["schemas"]
    # Then every $ref resolves inside it (pydantic's $defs hoisted into components)
    assert '"$defs"' not in text
    prefix = "#/components/schemas/"
    refs = set(re.findall(r'"\$ref": "([^"]+)"', text))
    assert all(ref.startswith(prefix) and ref[len(prefix) :] in schemas for ref in refs)
    # And two models of one name (identity's and cart's CodeRequest) keep their own schemas
    cart_code = spec["paths"]["/cart/code"]["put"]["requestBody"]["content"]["application/json"]
    login_code = spec["paths"]["/auth/verify-email"]["post"]["requestBody"]["content"]
    assert cart_code["schema"]["$ref"] != login_code["application/json"]["schema"]["$ref"]
    # And every operation lists 422 (unknown query parameters) and 500 with the error body
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("422", "500"):
                assert code in responses, (method, path, code)
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": prefix + "Error"}
            if operation["x-access"] != "public":
                assert "401" in responses, (method, path)
            if operation["x-access"].startswith("roles:"):
                assert "403" in responses, (method, path)
    # And the statuses an outside check found undocumented are documented
    for path, method, code in (
        ("/auth/login", "post", "401"),
        ("/auth/refresh", "post", "401"),
        ("/orders", "get", "400"),
        ("/seller/orders", "get", "400"),
        ("/shops", "post", "400"),
        ("/me/follows", "get", "400"),
        ("/admin/accounts", "get", "422"),
        ("/shops/{shop_id}/products", "get", "422"),
    ):
        assert code in spec["paths"][path][method]["responses"], (method, path, code)
    # And checkout's Idempotency-Key is a required header; a new shop's required fields
    checkout = spec["paths"]["/checkout"]["post"]
    (key,) = [p for p in checkout["parameters"] if p["in"] == "header"]
    assert (key["name"], key["required"]) == ("Idempotency-Key", True)
    new_shop = spec["paths"]["/shops"]["post"]["requestBody"]["content"]["application/json"]
    assert {"name", "category"} <= set(
        schemas[new_shop["schema"]["$ref"][len(prefix) :]]["required"]
    )
    # And the declared filters are query parameters
    listed = spec["paths"]["/admin/orders"]["get"]["parameters"]
    assert {"shop_id", "status"} <= {p["name"] for p in listed if p["in"] == "query"}


def test_every_paginated_route_declares_the_same_page_parameters(api: Any) -> None:
    from chalicelib.web.routing import PAGE_QUERY

    # Given the served description
    spec = json.loads(api.http.get("/openapi.json").body)
    expected = {p.name: p.schema for p in PAGE_QUERY}
    paginated = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            query = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
            if "cursor" not in query:
                continue
            paginated += 1
            # Then a route with a cursor takes limit and cursor as PAGE_QUERY declares them
            assert {name: query[name]["schema"] for name in expected} == expected, (method, path)
            # And documents the 400 a bad limit or a foreign cursor gets
            assert "400" in operation["responses"], (method, path)
    assert paginated >= 20
