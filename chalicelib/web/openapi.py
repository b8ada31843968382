"""OpenAPI 3.1 description built from the Chalice route table and each route's models.

Every status a route can answer is listed with the error body schema: the route's own
``errors=[...]`` plus the generic ones the edge adds (``generic_errors``). Pydantic's
``$defs`` are hoisted into ``components/schemas`` (renamed when two models share a name),
so every ``$ref`` resolves.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Literal

from chalice import Chalice
from pydantic import BaseModel

from chalicelib.web.lazy import load_all_routes
from chalicelib.web.routing import ROUTE_META_ATTR, RouteDoc

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["VALIDATION_FAILED"]},
                "message": {"type": "string"},
                "details": {},
                "request_id": {"type": ["string", "null"]},
            },
        }
    },
}
ERROR_TEXT = {
    400: "Malformed request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with current state",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Invalid values",
    429: "Too many requests",
    500: "Internal error",
    503: "Dependency unavailable",
}


REF_PREFIX = "#/components/schemas/"
PAGE_PARAMS = frozenset({"limit", "cursor"})


def _rewrite_refs(node: Any, renamed: dict[str, str]) -> Any:
    """``node`` with every ``$ref`` to a renamed schema pointing at its new name."""
    if isinstance(node, dict):
        out = {key: _rewrite_refs(value, renamed) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            out["$ref"] = REF_PREFIX + renamed.get(ref[len(REF_PREFIX) :], ref[len(REF_PREFIX) :])
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renamed) for item in node]
    return node


def _free_name(
    name: str, schema: dict[str, Any], model: type[BaseModel], taken: dict[str, Any]
) -> str:
    """``name``, or a qualified one when another, different schema already has it."""
    if taken.get(name, schema) == schema:
        return name
    capability = model.__module__.split(".")[1].title() if "." in model.__module__ else ""
    for candidate in (f"{capability}{name}", *(f"{capability}{name}{n}" for n in range(2, 100))):
        if taken.get(candidate, schema) == schema:
            return candidate
    raise ValueError(f"cannot name schema {name}")  # pragma: no cover - 100 homonyms


def _schema_ref(
    model: type[BaseModel],
    components: dict[str, Any],
    *,
    mode: Literal["validation", "serialization"] = "validation",
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A ``$ref`` to ``model``'s schema in ``components`` (its ``$defs`` hoisted there)."""
    schema = model.model_json_schema(ref_template=REF_PREFIX + "{model}", mode=mode)
    definitions: dict[str, Any] = schema.pop("$defs", {})
    if required:
        schema["required"] = sorted({*schema.get("required", []), *required})
    # Two passes: names first (a def may refer to another), then the rewritten schemas.
    renamed: dict[str, str] = {}
    for name, definition in definitions.items():
        renamed[name] = _free_name(name, definition, model, components)
    own = _free_name(model.__name__, _rewrite_refs(schema, renamed), model, components)
    for name, definition in definitions.items():
        components[renamed[name]] = _rewrite_refs(definition, renamed)
    components[own] = _rewrite_refs(schema, renamed)
    return {"$ref": REF_PREFIX + own}


def generic_errors(doc: RouteDoc) -> set[int]:
    """Statuses the edge itself may answer for this route, whatever its view does."""
    codes = {422, 500}  # 422: a query parameter the route does not declare
    if doc.request_model is not None:
        codes |= {400, 413, 415, 422}  # malformed or too deep JSON, too big, not JSON, invalid
    if PAGE_PARAMS & {param.name for param in doc.query}:
        codes.add(400)  # a bad limit or cursor
    if doc.access != "public":
        codes.add(401)
        if doc.roles or doc.owner_param:
            codes.add(403)
    return codes


def _error_ref() -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _operation_ids(app: Chalice) -> dict[tuple[str, str], str]:
    """``<view>_<method>`` per operation; where two capabilities name a view alike (a
    ``reply`` of reviews and of bills), each of those gets its capability in front."""
    plain = {
        (path, method): f"{entry.view_name}_{method.lower()}"
        for path, methods in app.routes.items()
        for method, entry in methods.items()
    }
    taken = Counter(plain.values())
    return {
        key: f"{_capability(app.routes[key[0]][key[1]].view_function)}_{name}"
        if taken[name] > 1
        else name
        for key, name in plain.items()
    }


def _capability(view: Any) -> str:
    # chalicelib.<capability>.api → <capability>
    parts = str(getattr(view, "__module__", "")).split(".")
    return parts[1] if len(parts) > 2 else parts[-1]


def build_openapi(app: Chalice, *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI document of every route registered on ``app`` (lazily registered ones
    are loaded first)."""
    load_all_routes(app)
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    operation_ids = _operation_ids(app)
    for path in sorted(app.routes):
        for method, entry in sorted(app.routes[path].items()):
            doc: RouteDoc | None = getattr(entry.view_function, ROUTE_META_ATTR, None)
            operation: dict[str, Any] = {
                "operationId": operation_ids[(path, method)],
                "summary": doc.summary if doc else entry.view_name,
                "tags": list(doc.tags) if doc else [],
                "x-access": doc.access if doc else "unknown",
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    for name in re.findall(r"{([^}+]+)\+?}", path)
                ],
                "responses": {},
            }
            if doc:
                for header in doc.headers:
                    operation["parameters"].append(
                        {
                            "name": header.name,
                            "in": "header",
                            "required": header.required,
                            "description": header.description,
                            "schema": header.schema,
                        }
                    )
                for param in doc.query:
                    operation["parameters"].append(
                        {
                            "name": param.name,
                            "in": "query",
                            "required": param.required,
                            "description": param.description,
                            "schema": param.schema,
                        }
                    )
                if doc.request_model is not None:
                    operation["requestBody"] = {
                        "required": not doc.body_optional,
                        "content": {
                            "application/json": {
                                "schema": _schema_ref(
                                    doc.request_model, components, required=doc.body_required
                                )
                            }
                        },
                    }
                ok: dict[str, Any] = {"description": "Success"}
                if doc.response_model is not None:
                    ok["content"] = {
                        doc.content_type: {
                            "schema": _schema_ref(
                                doc.response_model, components, mode="serialization"
                            )
                        }
                    }
                elif doc.content_type != "application/json":
                    ok["content"] = {doc.content_type: {"schema": {"type": "string"}}}
                operation["responses"][str(doc.status)] = ok
                codes = set(doc.errors) | generic_errors(doc)
                if doc.access != "public":
                    operation["security"] = [{"bearer": []}]
                if doc.access.startswith("owner:"):
                    codes.add(404)  # another account's resources are not found
            else:
                operation["responses"]["200"] = {"description": "Success"}
                codes = {500}
            for code in sorted(codes):
                operation["responses"][str(code)] = {
                    "description": ERROR_TEXT.get(code, "Error"),
                    **_error_ref(),
                }
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
