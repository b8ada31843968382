"""Identity on moto through the API: cheap argon2, a readable mailbox, sign-up helpers."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.dev import mailbox
from tests.fixtures.http import ApiClient

# Test-only argon2 cost; production defaults stay in Settings.
FAST_ARGON2 = {
    "BAZAAR_ARGON2_TIME_COST": "1",
    "BAZAAR_ARGON2_MEMORY_KIB": "8",
    "BAZAAR_ARGON2_PARALLELISM": "1",
}
PASSWORD = "Sturdy-Pass-2026"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap hashing (set before aws_env resets settings)."""
    for key, value in FAST_ARGON2.items():
        monkeypatch.setenv(key, value)
    from chalicelib.core.settings import reset_settings

    reset_settings()


def override_settings(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    """Change settings mid-test, read now: during each ``api`` request Chalice's test
    client swaps in .chalice/config.json's variables (stage ``dev``)."""
    from chalicelib.core.settings import get_settings, reset_settings

    for key, value in values.items():
        monkeypatch.setenv(f"BAZAAR_{key.upper()}", value)
    reset_settings()
    assert get_settings().stage == "test"


@pytest.fixture(autouse=True)
def in_process_mailbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mailbox reads the in-process moto's SES, as the local cloud's
    ``GET /_localcloud/ses/messages`` does (the system test reads that over HTTP)."""
    from localcloud import ses

    monkeypatch.setattr(mailbox, "fetch_sent_messages", ses.sent_messages)


def unique_email(prefix: str = "person") -> str:
    return f"{prefix}.{next(_numbers)}@shop.example.com"


def post(api: Any, path: str, body: Any = None, token: str | None = None, **headers: str) -> Any:
    return ApiClient(api).call("POST", path, {} if body is None else body, token, headers)


def get(api: Any, path: str, token: str | None = None) -> Any:
    return ApiClient(api).call("GET", path, token=token)


def delete(api: Any, path: str, token: str | None = None) -> Any:
    return ApiClient(api).call("DELETE", path, token=token)


def last_code(api: Any, email: str) -> str:
    """The code in the newest email to ``email``, read through ``GET /dev/mailbox``."""
    response = api.http.get(f"/dev/mailbox?email={email}")
    assert response.status_code == 200, response.body
    messages = response.json_body["messages"]
    assert messages, f"no email for {email}"
    code: str = messages[0]["code"]
    return code


@dataclass
class Member:
    """A verified, signed-in account."""

    account_id: str
    email: str
    password: str
    role: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


def sign_up(api: Any, role: str = "user", email: str | None = None) -> Member:
    """Register → read the code from the mailbox → verify → sign in."""
    email = email or unique_email(role)
    registered = post(api, "/auth/register", {"email": email, "password": PASSWORD, "role": role})
    assert registered.status_code == 202, registered.body
    verified = post(api, "/auth/verify-email", {"email": email, "code": last_code(api, email)})
    assert verified.status_code == 200, verified.body
    return sign_in(api, email)


def sign_in(api: Any, email: str, password: str = PASSWORD) -> Member:
    response = post(api, "/auth/login", {"email": email, "password": password})
    assert response.status_code == 200, response.body
    body = response.json_body
    return Member(
        account_id=body["account"]["account_id"],
        email=email,
        password=password,
        role=body["account"]["role"],
        access=body["access_token"],
        refresh=body["refresh_token"],
    )


def make_admin(email: str | None = None) -> tuple[str, str]:
    """Provision an admin directly (what the bootstrap command does); returns (email, password)."""
    from chalicelib.core.caller import Role
    from chalicelib.identity.service import admin

    email = email or unique_email("admin")
    admin.provision_account(email, PASSWORD, role=Role.ADMIN)
    return email, PASSWORD


@pytest.fixture
def clock_at() -> Iterator[Any]:
    """Identity's clock, stopped at the real now; tests move it with ``advance``."""
    from chalicelib.core import clock

    with clock.controlled() as manual:
        yield manual


def bus_events(deployment: Any) -> list[dict[str, Any]]:
    """Every event the bus delivered to the archive queue so far (drains it; bounded)."""
    import boto3

    sqs = boto3.client("sqs")
    queue = deployment.physical["EventArchiveQueue"]
    found: list[dict[str, Any]] = []
    for _ in range(20):
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        found += [json.loads(message["Body"]) for message in messages]
    return found
