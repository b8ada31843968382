"""Platform's response models (their names and fields are what OpenAPI documents)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalicelib.core.validation import ResponseModel
from chalicelib.platform.domain import Check, Health


class HealthResponse(ResponseModel):
    ok: bool
    checks: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, health: Health) -> HealthResponse:
        return cls(ok=health.ok, checks={name: _check(c) for name, c in health.checks.items()})


class StatusResponse(ResponseModel):
    service: str
    stage: str
    components: dict[str, dict[str, Any]]


def _check(check: Check) -> dict[str, Any]:
    """``{"ok": true, "latency_ms": …}`` or ``{"ok": false, "error": …}``."""
    return {key: value for key, value in asdict(check).items() if value is not None}
