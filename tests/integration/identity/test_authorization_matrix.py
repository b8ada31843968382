"""Every identity route against every kind of caller: allowed or refused, as its rule says.

Bodies are deliberately invalid and target ids do not exist, so an allowed call stops at
validation (422) or lookup (404) after the access check and changes nothing; a refused
one is 401 (anonymous) or 403 (signed in, a role the route does not allow). Someone else's
resource (another shopper's addresses) answers 404, the same as one that does not exist:
what a caller may not see does not reveal that it exists.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.identity.conftest import (
    make_admin,
    override_settings,
    sign_in,
    sign_up,
)

# The local mailbox is identity's development aid, served by the dev package.
IDENTITY_MODULES = ("chalicelib.identity.api", "chalicelib.dev.mailbox")
CALLERS = ("anonymous", "user", "seller", "admin", "other_user")
EVERYONE = frozenset(CALLERS)
SIGNED_IN = frozenset(CALLERS) - {"anonymous"}
ADMIN = frozenset({"admin"})
OWNER_SHOPPER = frozenset({"user"})  # the path names "user"'s account
# Callers with an allowed role for whom the path names someone else's account: 404.
SOMEONE_ELSES: dict[str, frozenset[str]] = {"other_user": OWNER_SHOPPER}

# (method, route as registered, who may call it)
MATRIX: list[tuple[str, str, frozenset[str]]] = [
    ("POST", "/auth/register", EVERYONE),
    ("POST", "/auth/verify-email", EVERYONE),
    ("POST", "/auth/resend-code", EVERYONE),
    ("POST", "/auth/login", EVERYONE),
    ("POST", "/auth/refresh", EVERYONE),
    ("POST", "/auth/forgot-password", EVERYONE),
    ("POST", "/auth/reset-password/verify", EVERYONE),
    ("POST", "/auth/reset-password", EVERYONE),
    ("GET", "/dev/mailbox", EVERYONE),
    ("POST", "/auth/logout", SIGNED_IN),
    ("GET", "/me", SIGNED_IN),
    ("POST", "/auth/change-password", SIGNED_IN),
    ("GET", "/accounts/{account_id}/addresses", OWNER_SHOPPER),
    ("POST", "/accounts/{account_id}/addresses", OWNER_SHOPPER),
    ("DELETE", "/accounts/{account_id}/addresses/{address_id}", OWNER_SHOPPER),
    ("GET", "/admin/accounts", ADMIN),
    ("GET", "/admin/accounts/{account_id}", ADMIN),
    ("POST", "/admin/accounts/{account_id}/ban", ADMIN),
    ("POST", "/admin/accounts/{account_id}/unban", ADMIN),
    ("POST", "/admin/accounts/{account_id}/promote", ADMIN),
    ("GET", "/admin/audit", ADMIN),
]


def identity_routes() -> set[tuple[str, str]]:
    import app

    app.capabilities.load_all()
    return {
        (method, path)
        for path, methods in app.app.routes.items()
        for method, entry in methods.items()
        if entry.view_function.__module__ in IDENTITY_MODULES
    }


def test_the_matrix_covers_every_identity_route(api: Any) -> None:
    assert {(method, path) for method, path, _ in MATRIX} == identity_routes()


@pytest.fixture
def callers(api: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    many = '{"per_email": 1000, "per_ip": 10000, "window_seconds": 60}'
    override_settings(monkeypatch, rate_limit_login=many, rate_limit_register=many)
    return {
        "user": sign_up(api, "user"),
        "seller": sign_up(api, "seller"),
        "admin": sign_in(api, make_admin()[0]),
        "other_user": sign_up(api, "user"),
    }


def call(api: Any, method: str, route: str, owner_id: str, token: str | None) -> Any:
    path = route.format(account_id=owner_id, address_id="no-such-address")
    if route.startswith("/admin/accounts/{account_id}"):
        path = route.format(account_id="no-such-account")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return api.http.get(path, headers=headers)
    if method == "DELETE":
        return api.http.delete(path, headers=headers)
    headers["Content-Type"] = "application/json"
    return api.http.post(path, headers=headers, body='{"unexpected_field": true}')


def test_every_route_allows_exactly_the_callers_its_rule_names(
    api: Any, callers: dict[str, Any]
) -> None:
    owner_id = callers["user"].account_id
    wrong: list[str] = []
    for method, route, allowed in MATRIX:
        for caller in CALLERS:
            member = callers.get(caller)
            token = member.access if member else None
            response = call(api, method, route, owner_id, token)
            status = response.status_code
            if caller in allowed:
                ok = status not in (401, 403) and status < 500
            elif allowed == SOMEONE_ELSES.get(caller):
                ok = status == 404 and response.json_body["error"]["code"] == "NOT_FOUND"
            else:
                ok = status == (401 if caller == "anonymous" else 403)
            if not ok:
                wrong.append(f"{caller:>10} {method} {route}: {status} {response.body[:120]!r}")
            if route == "/auth/logout" and member is not None and status == 204:
                callers[caller] = sign_in(api, member.email)
    assert wrong == []
