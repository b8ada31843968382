"""Unit tests of identity: no AWS. The signing key comes from settings (no secret ARN); the
repository is the in-memory fake; emails, events and WebSocket disconnects are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.events import DomainEvent
from chalicelib.core.mail import Email
from chalicelib.identity import repository
from tests.fakes.identity import FakeIdentityRepository

PASSWORD = "Sturdy-Pass-2026"


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


@pytest.fixture(autouse=True)
def repo() -> Iterator[FakeIdentityRepository]:
    """Identity's repository, in memory, for the length of one test."""
    fake = FakeIdentityRepository()
    repository.use(fake)
    yield fake
    repository.use(None)


@pytest.fixture(autouse=True)
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[Email]:
    """Every email identity sends, oldest first (nothing reaches SES)."""
    sent: list[Email] = []
    monkeypatch.setattr("chalicelib.core.mail.send", sent.append)
    return sent


@pytest.fixture(autouse=True)
def published(monkeypatch: pytest.MonkeyPatch) -> list[DomainEvent]:
    """Every event put on the bus, oldest first (nothing reaches EventBridge)."""
    events: list[DomainEvent] = []

    def put(batch: tuple[DomainEvent, ...]) -> list[str]:
        events.extend(batch)
        return [f"event-{len(events)}"]

    monkeypatch.setattr("chalicelib.core.events._put", put)
    return events


@pytest.fixture(autouse=True)
def disconnected(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Accounts whose WebSockets identity asked the realtime capability to close."""
    closed: list[str] = []

    def disconnect(account_id: str) -> int:
        closed.append(account_id)
        return 0

    monkeypatch.setattr("chalicelib.realtime.service.disconnect_account", disconnect)
    return closed


@pytest.fixture(autouse=True)
def disconnected_sessions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(account, session) pairs whose WebSockets identity asked realtime to close."""
    closed: list[tuple[str, str]] = []

    def disconnect(account_id: str, session_id: str) -> int:
        closed.append((account_id, session_id))
        return 0

    monkeypatch.setattr("chalicelib.realtime.service.disconnect_session", disconnect)
    return closed


@pytest.fixture
def manual() -> Iterator[clock.ManualClock]:
    """Identity's clock, stopped at the real now; tests move it with ``advance``."""
    with clock.controlled() as controlled:
        yield controlled


def code_in(email: Email) -> str:
    """The one-time code an email carries."""
    import re

    found = re.search(r"\b(\d{6,10})\b", email.text)
    assert found, email.text
    return found.group(1)


def caller_of(account: Any, session_id: str = "") -> Caller:
    """The caller an account's access token would give."""
    return Caller(
        account_id=account.account_id,
        role=Role(account.role),
        email=account.email,
        session_id=session_id,
        shop_id=account.shop_id,
    )
