"""OpenAPI 3.1 description built from the Chalice route table and each route's models."""

from __future__ import annotations

import re
from typing import Any

from chalice import Chalice
from pydantic import BaseModel

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


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _error_ref() -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def build_openapi(app: Chalice, *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI document of every route registered on ``app``."""
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for path in sorted(app.routes):
        for method, entry in sorted(app.routes[path].items()):
            doc: RouteDoc | None = getattr(entry.view_function, ROUTE_META_ATTR, None)
            operation: dict[str, Any] = {
                "operationId": f"{entry.view_name}_{method.lower()}",
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
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": _schema_ref(doc.request_model, components)
                            }
                        },
                    }
                ok: dict[str, Any] = {"description": "Success"}
                if doc.response_model is not None:
                    ok["content"] = {
                        doc.content_type: {"schema": _schema_ref(doc.response_model, components)}
                    }
                elif doc.content_type != "application/json":
                    ok["content"] = {doc.content_type: {"schema": {"type": "string"}}}
                operation["responses"][str(doc.status)] = ok
                codes = set(doc.errors) | {500}
                if doc.request_model is not None:
                    codes |= {400, 413, 415, 422}
                if doc.access != "public":
                    codes |= {401, 403}
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
