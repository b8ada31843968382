"""Access rules: names, role and owner checks, bearer parsing."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ForbiddenError, NotFoundError, UnauthorizedError
from chalicelib.web import access
from chalicelib.web.access import PUBLIC, SIGNED_IN, owner, resolve, roles


def principal(role: str = "user", account_id: str = "a-1") -> Caller:
    return Caller(
        account_id=account_id, role=Role(role), email="a@shop.example.com", session_id="s"
    )


def test_rule_names_are_what_openapi_shows() -> None:
    assert PUBLIC.name == "public"
    assert SIGNED_IN.name == "signed-in"
    assert roles("admin").name == "roles:admin"
    assert owner("account_id", roles=("user",)).name == "owner:account_id+roles:user"
    assert resolve("admin") == roles("admin")
    with pytest.raises(ValueError, match="unknown access rule"):
        resolve("everyone")


def test_role_rule() -> None:
    roles("admin").check(principal("admin"), {})
    with pytest.raises(ForbiddenError):
        roles("admin").check(principal("user"), {})


def test_owner_rule_compares_the_path_parameter() -> None:
    rule = owner("account_id", roles=("user",))
    rule.check(principal("user", "a-1"), {"account_id": "a-1"})
    # Another account's path is not found (as if it did not exist); a wrong role is refused
    with pytest.raises(NotFoundError):
        rule.check(principal("user", "a-2"), {"account_id": "a-1"})
    with pytest.raises(ForbiddenError):
        rule.check(principal("seller", "a-1"), {"account_id": "a-1"})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer   abc", "abc"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token_parsing(header: str | None, expected: str | None) -> None:
    assert access.bearer_token(header) == expected


class FakeRequest:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


def test_public_routes_read_no_token_and_others_need_one() -> None:
    assert access.authorize(PUBLIC, FakeRequest({"authorization": "Bearer junk"}), {}) is None
    with pytest.raises(UnauthorizedError):
        access.authorize(SIGNED_IN, FakeRequest({}), {})


def test_the_caller_is_authenticated_once_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def authenticate(token: str) -> Caller:
        calls.append(token)
        return principal()

    monkeypatch.setattr(access, "_authenticator", authenticate)
    request: Any = FakeRequest({"authorization": "Bearer t"})
    first = access.authorize(SIGNED_IN, request, {})
    second = access.authorize(roles("user"), request, {})
    assert first is second
    assert calls == ["t"]
    assert access.authorize(SIGNED_IN, FakeRequest({"authorization": "Bearer t"}), {})
    assert calls == ["t", "t"]
