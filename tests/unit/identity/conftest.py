"""Unit tests of identity: no AWS; the signing key comes from settings (no secret ARN)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def plain_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings with cheap argon2 and the built-in local signing key."""
    from chalicelib.core.settings import reset_settings

    monkeypatch.delenv("BAZAAR_JWT_SECRET_ARN", raising=False)
    monkeypatch.setenv("BAZAAR_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("BAZAAR_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("BAZAAR_ARGON2_PARALLELISM", "1")
    reset_settings()
    yield
    reset_settings()
