"""Capabilities' routes registered from an index and imported on first use.

A cold API Lambda would otherwise import every capability (schemas, services,
repositories, models) before it answers its first request, though that request needs
one. ``LazyRoutes`` registers each route of ``chalicelib/route_index.json`` with a
stand-in view; the first request to any route of a capability imports that capability's
``api`` module, swaps its real routes in, and answers through them. The OpenAPI document
and the WebSocket handlers load everything (``load_all``).

The index is generated (``make routes``); ``tests/integration/test_routing.py`` fails
when it no longer matches the blueprints, so a new route cannot be forgotten.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice import Blueprint, Chalice

INDEX_PATH = Path(__file__).resolve().parent.parent / "route_index.json"
APP_ATTR = "lazy_routes"  # where the app keeps its LazyRoutes (for load_all_routes)


@dataclass(frozen=True, order=True)
class IndexedRoute:
    """One method of one path (``api_route`` gives every route JSON content types)."""

    path: str
    method: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @classmethod
    def parse(cls, text: str) -> IndexedRoute:
        """``"GET /products/{product_id}"`` → the route."""
        method, path = text.split(" ", 1)
        return cls(path=path, method=method)


def routes_of(module_name: str) -> list[IndexedRoute]:
    """The routes the ``bp`` blueprint of ``module_name`` registers (imports the module)."""
    scratch = Chalice(app_name="route-index")
    scratch.register_blueprint(_blueprint(module_name))
    return sorted(
        IndexedRoute(path, method) for path, methods in scratch.routes.items() for method in methods
    )


def build_index(module_names: Sequence[str]) -> dict[str, list[str]]:
    """The index of ``module_names``' routes, as ``route_index.json`` stores it."""
    return {name: [str(route) for route in routes_of(name)] for name in module_names}


def read_index(path: Path = INDEX_PATH) -> dict[str, list[IndexedRoute]]:
    """The stored index: module name → its routes."""
    raw: dict[str, list[str]] = json.loads(path.read_text())
    return {module: [IndexedRoute.parse(text) for text in routes] for module, routes in raw.items()}


class LazyRoutes:
    """The routes of ``module_names``, each module imported when first needed."""

    def __init__(self, app: Chalice, module_names: Sequence[str]) -> None:
        self.app = app
        self.module_names = list(module_names)
        self._index = read_index()
        missing = [name for name in self.module_names if name not in self._index]
        if missing:
            raise RuntimeError(f"{missing} not in {INDEX_PATH.name}: run `make routes`")
        self._loaded: set[str] = set()
        self._after_load: dict[str, list[Callable[[], None]]] = {}
        setattr(app, APP_ATTR, self)

    def register(self) -> None:
        """Register a stand-in view for every indexed route of every module."""
        for name in self.module_names:
            for route in self._index[name]:
                self.app.route(route.path, methods=[route.method], name=f"{name}:{route}")(
                    self._stand_in(name, route)
                )

    def load(self, module_name: str) -> None:
        """Import one module and put its real routes in place of the stand-ins."""
        if module_name in self._loaded:
            return
        blueprint = _blueprint(module_name)
        for route in self._index[module_name]:
            self.app.routes[route.path].pop(route.method, None)
        self.app.register_blueprint(blueprint)
        self._loaded.add(module_name)
        for callback in self._after_load.pop(module_name, []):
            callback()

    def after_load(self, module_name: str, callback: Callable[[], None]) -> None:
        """Run ``callback`` once ``module_name`` is loaded (wiring that module needs)."""
        self._after_load.setdefault(module_name, []).append(callback)

    def load_all(self) -> None:
        """Import every module (the OpenAPI document, WebSocket actions, tests)."""
        for name in self.module_names:
            self.load(name)

    def _stand_in(self, module_name: str, route: IndexedRoute) -> Callable[..., Any]:
        def first_request(**path_params: Any) -> Any:
            self.load(module_name)
            return self.app.routes[route.path][route.method].view_function(**path_params)

        return first_request


def load_all_routes(app: Chalice) -> None:
    """Load every lazily registered route of ``app`` (nothing to do for an eager app)."""
    routes = getattr(app, APP_ATTR, None)
    if isinstance(routes, LazyRoutes):
        routes.load_all()


def _blueprint(module_name: str) -> Blueprint:
    blueprint = getattr(importlib.import_module(module_name), "bp", None)
    if not isinstance(blueprint, Blueprint):
        raise TypeError(f"{module_name} has no Chalice blueprint named bp")
    return blueprint
