"""Declaring a route: path, models, access rule and docs in one decorator.

``api_route`` registers the view on a Chalice blueprint, validates the request body into
its model before the view runs, renders the response model, maps domain errors to JSON,
and records what ``chalicelib.web.openapi`` needs, so the docs come from the routes
themselves and cannot drift.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint, Chalice, Response
from pydantic import BaseModel

from chalicelib.core.errors import DomainError, UnauthorizedError, ValidationFailedError
from chalicelib.core.observability import logger
from chalicelib.core.pagination import page_limit
from chalicelib.core.validation import parse_body
from chalicelib.web.access import AccessRule, authorize, resolve
from chalicelib.web.http import error_response, internal_error_response

ROUTE_META_ATTR = "__bazaar_route__"


@dataclass(frozen=True)
class QueryParam:
    """A documented query-string parameter."""

    name: str
    description: str
    required: bool = False
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class HeaderParam:
    """A documented request header the route reads (e.g. ``Idempotency-Key``)."""

    name: str
    description: str
    required: bool = False
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class RouteDoc:
    """What OpenAPI says about one operation."""

    summary: str
    tags: tuple[str, ...]
    request_model: type[BaseModel] | None
    response_model: type[BaseModel] | None
    status: int
    access: str  # the rule's name (OpenAPI ``x-access``)
    query: tuple[QueryParam, ...]
    errors: tuple[int, ...]
    content_type: str
    headers: tuple[HeaderParam, ...] = ()
    # Body fields the route requires though its (shared) model leaves them optional.
    body_required: tuple[str, ...] = ()
    # No body (or a blank one) is the request model with its defaults.
    body_optional: bool = False
    owner_param: str | None = None
    roles: tuple[str, ...] = ()


def request_id_of(app_or_bp: Chalice | Blueprint) -> str | None:
    """API Gateway's request id of the request being handled, if any."""
    request = app_or_bp.current_request
    if request is None:
        return None
    return str(request.context.get("requestId") or "") or None


def api_route(
    bp: Chalice | Blueprint,
    path: str,
    *,
    methods: Sequence[str] = ("GET",),
    summary: str,
    tags: Sequence[str] = (),
    request_model: type[BaseModel] | None = None,
    response_model: type[BaseModel] | None = None,
    status: int = 200,
    access: str | AccessRule = "public",
    query: Sequence[QueryParam] = (),
    errors: Sequence[int] = (),
    content_type: str = "application/json",
    headers: Sequence[HeaderParam] = (),
    body_required: Sequence[str] = (),
    body_optional: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``view`` at ``path``. The view gets path params and, if declared, ``body``.

    ``access`` is the route's rule (``chalicelib.web.access``), checked before the body is
    read; a view with a ``caller`` parameter receives the authenticated ``Caller``. It
    returns a pydantic model, a JSON-able value, or a Chalice ``Response``.

    ``errors`` lists the statuses the view itself can answer; the generic ones (400, 413,
    415, 422 for a body or query; 401/403 from the access rule; 500) are added to the docs
    by ``chalicelib.web.openapi``. ``headers`` documents request headers the view reads;
    ``body_required`` marks body fields this route requires though the model does not;
    with ``body_optional`` a request without a body (or a blank one) gets the request
    model's defaults.

    ``query`` lists every query parameter the route reads: any other one is refused with
    422 naming it (a filter is never silently ignored), and a missing required one too.
    """
    rule = resolve(access)
    doc = RouteDoc(
        summary=summary,
        tags=tuple(tags),
        request_model=request_model,
        response_model=response_model,
        status=status,
        access=rule.name,
        query=tuple(query),
        errors=tuple(errors),
        content_type=content_type,
        headers=tuple(headers),
        body_required=tuple(body_required),
        body_optional=body_optional,
        owner_param=rule.owner_param,
        roles=tuple(rule.roles),
    )

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        wants_caller = "caller" in inspect.signature(view).parameters
        if wants_caller and rule.public:
            raise TypeError(f"{path}: a public route has no caller to pass")

        @functools.wraps(view)
        def handle(**path_params: Any) -> Response:
            request_id = request_id_of(bp)
            try:
                request = bp.current_request
                caller = authorize(rule, request, path_params)
                if wants_caller:
                    path_params["caller"] = caller
                check_query(doc.query, request.query_params if request is not None else None)
                if request_model is not None:
                    raw = request.raw_body if request is not None else None
                    if body_optional and not (raw or b"").strip():
                        path_params["body"] = request_model()
                    else:
                        path_params["body"] = parse_body(request_model, raw)
                return _render(view(**path_params), status)
            except DomainError as error:
                response = error_response(error, request_id)
                if isinstance(error, UnauthorizedError):
                    response.headers["WWW-Authenticate"] = 'Bearer realm="bazaar"'
                return response
            except Exception:  # noqa: BLE001 - the edge answers 500, never a traceback
                logger.exception("Unhandled error in route", extra={"route": path})
                return internal_error_response(request_id)

        setattr(handle, ROUTE_META_ATTR, doc)
        content_types = ["application/json"] if request_model is not None else None
        options: dict[str, Any] = {"methods": list(methods)}
        if content_types:
            options["content_types"] = content_types
        bp.route(path, **options)(handle)
        return handle

    return decorate


def query_of(app_or_bp: Chalice | Blueprint) -> dict[str, str]:
    """The query string of the request being handled (empty without one); ``api_route``
    has already refused any name the route does not declare."""
    request = app_or_bp.current_request
    return dict(request.query_params or {}) if request is not None else {}


PAGE_QUERY = (
    QueryParam(
        "limit",
        "Page size (default 20, at most 100 unless settings say otherwise)",
        schema={"type": "integer", "minimum": 1},
    ),
    QueryParam("cursor", "The next_cursor of the previous page"),
)
"""The two query parameters of every paginated route."""


def page_of(app_or_bp: Chalice | Blueprint) -> tuple[int, str | None]:
    """The page size and cursor the request asks for (``PAGE_QUERY``); a bad limit is a
    400 naming the allowed range."""
    query = query_of(app_or_bp)
    return page_limit(query.get("limit")), query.get("cursor") or None


def check_query(declared: Sequence[QueryParam], params: Any) -> None:
    """Raise ValidationFailedError (422) naming each query parameter the route does not
    declare, and each declared required one that is missing or empty."""
    given = set(params or {})
    names = {param.name for param in declared}
    problems = [
        {"field": name, "message": "not a query parameter of this route", "type": "unknown"}
        for name in sorted(given - names)
    ]
    problems += [
        {"field": param.name, "message": "required query parameter", "type": "missing"}
        for param in declared
        if param.required and not (params or {}).get(param.name)
    ]
    if problems:
        unknown = [p["field"] for p in problems if p["type"] == "unknown"]
        missing = [p["field"] for p in problems if p["type"] == "missing"]
        parts = []
        if unknown:
            parts.append(f"unknown query parameter(s) {', '.join(unknown)}")
        if missing:
            parts.append(f"missing query parameter(s) {', '.join(missing)}")
        raise ValidationFailedError(f"Invalid request: {'; '.join(parts)}", details=problems)


def _render(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    if result is None and status == 204:
        return Response(body="", status_code=204)
    return Response(body=result, status_code=status, headers={"Content-Type": "application/json"})
