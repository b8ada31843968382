"""Platform routes: health, status, OpenAPI description and the docs page."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from chalice import Blueprint, Response

from chalicelib.platform import service
from chalicelib.platform.schemas import HealthResponse, StatusResponse
from chalicelib.web.openapi import build_openapi
from chalicelib.web.routing import api_route

API_VERSION = "0.1.0"
bp = Blueprint(__name__)


@api_route(
    bp,
    "/health",
    summary="Health of the tables and event bus the API depends on",
    tags=["platform"],
    response_model=HealthResponse,
    errors=[503],
)
def health() -> Response:
    report = HealthResponse.of(service.check_health())
    return Response(
        body=report.model_dump(mode="json"),
        status_code=200 if report.ok else 503,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


@api_route(
    bp,
    "/status",
    summary="Status of the platform's components",
    tags=["platform"],
    response_model=StatusResponse,
)
def status() -> StatusResponse:
    return StatusResponse.model_validate(service.status_report(), from_attributes=True)


@cache
def _openapi_document() -> dict[str, Any]:
    return build_openapi(bp.current_app, title="Bazaar API", version=API_VERSION)


@api_route(bp, "/openapi.json", summary="OpenAPI 3.1 description of this API", tags=["platform"])
def openapi() -> dict[str, Any]:
    return _openapi_document()


@cache
def _docs_page() -> str:
    return resources.files("chalicelib.platform").joinpath("docs.html").read_text("utf-8")


@api_route(
    bp,
    "/docs",
    summary="Browsable API documentation",
    tags=["platform"],
    content_type="text/html",
)
def docs() -> Response:
    return Response(
        body=_docs_page(), status_code=200, headers={"Content-Type": "text/html; charset=utf-8"}
    )
