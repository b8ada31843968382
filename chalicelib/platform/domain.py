"""Platform's domain values: the health of what the API depends on, and its status."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Check:
    """One dependency's answer: ok with its latency, or the error it gave."""

    ok: bool
    latency_ms: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """``{"ok": true, "latency_ms": …}`` or ``{"ok": false, "error": …}``."""
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class Health:
    """Every dependency's check, by name (``table:<name>``, ``bus:<name>``)."""

    checks: dict[str, Check]

    @property
    def ok(self) -> bool:
        """True only if every dependency answered."""
        return all(check.ok for check in self.checks.values())


@dataclass(frozen=True)
class StatusReport:
    """What ``GET /status`` reports: the service, its stage, and its components."""

    service: str
    stage: str
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
