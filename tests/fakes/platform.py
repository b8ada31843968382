"""A stand-in for the AWS resources platform's health checks probe."""

from __future__ import annotations

from chalicelib.platform.domain import Check


class FakeDependencies:
    """Every table and bus answers in 1 ms, except those named in ``down``."""

    def __init__(self, *, down: set[str] | None = None) -> None:
        self.down: set[str] = set(down or ())
        self.asked: list[str] = []

    def table(self, name: str) -> Check:
        return self._probe(name, "ResourceNotFoundException")

    def bus(self, name: str) -> Check:
        return self._probe(name, "ResourceNotFoundException")

    def _probe(self, name: str, error: str) -> Check:
        self.asked.append(name)
        if name in self.down:
            return Check(ok=False, error=error)
        return Check(ok=True, latency_ms=1.0)
