"""The edge: body validation, error mapping, crashes and limits, on a small Chalice app."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from chalice import Blueprint, Chalice
from chalice.test import Client

from chalicelib.core.errors import ConflictError, RateLimitedError
from chalicelib.core.validation import RequestModel, ResponseModel
from chalicelib.web.lazy import INDEX_PATH, read_index
from chalicelib.web.middleware import http_middleware
from chalicelib.web.routing import api_route


class NewThing(RequestModel):
    name: str
    quantity: int


class Thing(ResponseModel):
    name: str
    quantity: int


def build_app() -> Chalice:
    bp = Blueprint(__name__)

    @api_route(
        bp,
        "/things",
        methods=["POST"],
        summary="create",
        request_model=NewThing,
        response_model=Thing,
        status=201,
    )
    def create(body: NewThing) -> Thing:
        if body.name == "taken":
            raise ConflictError("name taken", details={"name": body.name})
        if body.name == "slow":
            raise RateLimitedError("slow down", retry_after=7)
        if body.name == "crash":
            raise RuntimeError("secret internals")
        return Thing(name=body.name, quantity=body.quantity)

    @api_route(bp, "/things/{name}", summary="get")
    def get(name: str) -> dict[str, Any]:
        return {"name": name}

    app = Chalice(app_name="routing-test")
    app.register_middleware(http_middleware, "http")
    app.register_blueprint(bp)
    return app


@pytest.fixture
def client() -> Any:
    with Client(build_app()) as test_client:
        yield test_client


def post(client: Any, body: bytes | str, content_type: str = "application/json") -> Any:
    return client.http.post("/things", headers={"Content-Type": content_type}, body=body)


def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = json.loads(response.body)["error"]
    return error


def test_valid_body_reaches_the_view_and_the_model_is_rendered(client: Any) -> None:
    response = post(client, json.dumps({"name": "lamp", "quantity": 2}))
    assert response.status_code == 201
    assert json.loads(response.body) == {"name": "lamp", "quantity": 2}
    assert client.http.get("/things/lamp").json_body == {"name": "lamp"}


@pytest.mark.parametrize(
    ("body", "status", "code", "fields"),
    [
        ("{oops", 400, "BAD_REQUEST", None),
        ("", 400, "BAD_REQUEST", None),
        ('["a"]', 422, "VALIDATION_FAILED", {"body"}),
        ('{"name": "lamp", "quantity": "two"}', 422, "VALIDATION_FAILED", {"quantity"}),
        ('{"name": "lamp"}', 422, "VALIDATION_FAILED", {"quantity"}),
        ('{"name": "lamp", "quantity": 1, "price": 3}', 422, "VALIDATION_FAILED", {"price"}),
    ],
)
def test_bad_bodies_get_a_4xx_naming_the_problem(
    client: Any, body: str, status: int, code: str, fields: set[str] | None
) -> None:
    response = post(client, body)
    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == code
    if fields:
        assert {detail["field"] for detail in error["details"]} == fields
        assert all(name in error["message"] for name in fields)


def test_domain_errors_map_to_their_status(client: Any) -> None:
    conflict = post(client, json.dumps({"name": "taken", "quantity": 1}))
    assert conflict.status_code == 409
    assert error_of(conflict) == {
        "code": "CONFLICT",
        "message": "name taken",
        "details": {"name": "taken"},
        "request_id": None,
    }
    limited = post(client, json.dumps({"name": "slow", "quantity": 1}))
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"


def test_a_crash_is_a_500_without_internals_and_is_logged(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = post(client, json.dumps({"name": "crash", "quantity": 1}))
    assert response.status_code == 500
    assert error_of(response)["code"] == "INTERNAL_ERROR"
    assert b"secret internals" not in response.body
    assert b"Traceback" not in response.body


def test_wrong_content_type_and_wrong_method_use_the_error_shape(client: Any) -> None:
    response = post(client, "name=lamp", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_of(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"
    wrong = client.http.delete("/things/lamp")
    assert wrong.status_code == 405
    assert error_of(wrong)["code"] == "METHOD_NOT_ALLOWED"


def test_oversized_body_is_413_before_the_view_runs(client: Any) -> None:
    response = post(client, json.dumps({"name": "x" * 1_100_000, "quantity": 1}))
    assert response.status_code == 413
    assert error_of(response)["details"] == {"limit_bytes": 1_048_576}


def test_json_nested_deeper_than_the_limit_is_a_400_not_a_crash(client: Any) -> None:
    # Given a ~2 KB body of 1,000 nested arrays (deep enough to exhaust Python's recursion)
    body = "[" * 1000 + "]" * 1000
    # When it is posted to a JSON route
    response = post(client, body)
    # Then it is refused as malformed with the documented limit, not a 500
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "JSON_TOO_DEEP"
    assert error["details"] == {"max_depth": 32}
    assert "32 levels" in error["message"]


def test_json_at_the_depth_limit_is_read_and_brackets_inside_strings_do_not_count(
    client: Any,
) -> None:
    # Given a body 32 levels deep (the object is level 1) and a name full of brackets
    nested: Any = 1
    for _ in range(31):
        nested = [nested]
    body = json.dumps({"name": "[{" * 100, "quantity": nested})
    # When it is posted; Then it is decoded and validated as usual (422: quantity not an int)
    response = post(client, body)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "quantity"
    # And one level deeper is refused before decoding
    assert post(client, json.dumps({"name": "x", "quantity": [nested]})).status_code == 400


def test_a_query_parameter_the_route_does_not_declare_is_a_422_naming_it(
    client: Any,
) -> None:
    # Given a route that declares no query parameters
    # When it is called with two
    response = client.http.get("/things/lamp?status=PAID&shop=x")
    # Then it is refused, naming both, instead of silently ignoring them
    assert response.status_code == 422
    error = error_of(response)
    assert [d["field"] for d in error["details"]] == ["shop", "status"]
    assert "shop, status" in error["message"]


# ---------- the API's routes, registered from the index and loaded on first use ----------
ROOT = Path(__file__).resolve().parents[2]


def _run(probe: str) -> str:
    env = {**os.environ, "BAZAAR_STAGE": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_route_index_matches_the_blueprints() -> None:
    # Given the index app.py registers routes from, and the blueprints themselves
    probe = (
        "import json\n"
        "from chalicelib.api_modules import API_MODULES, DEV_MODULES\n"
        "from chalicelib.web.lazy import build_index\n"
        "print(json.dumps(build_index(API_MODULES + DEV_MODULES)))\n"
    )
    # When the index is built afresh (in its own interpreter: it registers every blueprint)
    fresh = json.loads(_run(probe))
    # Then it is the stored one
    stored = json.loads(INDEX_PATH.read_text())
    assert fresh == stored, "chalicelib/route_index.json is stale: run `make routes`"


def test_a_cold_api_imports_a_capability_with_its_first_request() -> None:
    # Given a fresh API module
    probe = (
        "import sys, app\n"
        "from chalice.test import Client\n"
        "loaded = lambda: sorted(m for m in ('chalicelib.catalog.service.browse',"
        " 'chalicelib.orders.repository', 'chalicelib.cart.models') if m in sys.modules)\n"
        "print('BEFORE', loaded())\n"
        "with Client(app.app) as client:\n"
        "    answer = client.http.get('/products/no-such-id')\n"
        "print('AFTER', loaded())\n"
        "print('STATUS', answer.status_code)\n"
    )
    # When it starts and then answers a request to the catalog
    said = dict(
        line.split(" ", 1) for line in _run(probe).splitlines() if line.split(" ")[0].isupper()
    )
    before, after, status = said["BEFORE"], said["AFTER"], said["STATUS"]
    # Then nothing of the capabilities was imported at start, and the catalog's code (and
    # only what it needs) with the first request, which its real route answered
    assert before == "[]"
    assert after == "['chalicelib.catalog.service.browse']"
    # No AWS in this probe: the real route ran and mapped the failure (a stand-in cannot)
    assert status in {"404", "500", "503"}


def test_every_route_is_registered_before_any_capability_loads() -> None:
    import app

    index = read_index()
    indexed = {
        (route.path, route.method)
        for module in app.capabilities.module_names
        for route in index[module]
    }
    app.capabilities.load_all()
    routed = {(path, method) for path, methods in app.app.routes.items() for method in methods}
    assert routed == indexed
