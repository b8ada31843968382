"""JWT checks: pinned algorithm, signature, issuer, audience, times, token type."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from chalicelib.core import clock
from chalicelib.core.settings import LOCAL_JWT_SECRET, get_settings
from chalicelib.identity import tokens
from chalicelib.identity.errors import InvalidTokenError

START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(START.timestamp())
    base = {
        "iss": "bazaar",
        "aud": "bazaar-api",
        "sub": "account-1",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": "token-1",
        "typ": "access",
        "ver": 0,
        "sid": "session-1",
        "role": "user",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def sign(payload: dict[str, Any], key: str = LOCAL_JWT_SECRET, alg: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=alg)


def unsigned(payload: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def reason(token: str, expected: tokens.TokenType = "access") -> str:
    with pytest.raises(InvalidTokenError) as refused:
        tokens.verify(token, expected)
    details: dict[str, str] = refused.value.details
    return details["reason"]


@pytest.fixture(autouse=True)
def fixed_clock() -> Any:
    with clock.controlled(START) as manual:
        yield manual


def test_issued_token_verifies_and_round_trips_claims() -> None:
    issued = tokens.issue(
        "access", subject="a-1", ttl_seconds=900, version=3, role="seller", session_id="s-1"
    )
    verified = tokens.verify(issued.token, "access")
    assert verified.subject == "a-1"
    assert verified.version == 3
    assert verified.role == "seller"
    assert verified.session_id == "s-1"
    assert verified.expires_at - verified.issued_at == timedelta(seconds=900)
    assert issued.expires_in == 900


def test_valid_hand_made_token_is_accepted() -> None:
    assert tokens.verify(sign(claims()), "access").token_id == "token-1"


def test_alg_none_is_refused() -> None:
    assert reason(unsigned(claims())) == "InvalidAlgorithmError"


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_other_algorithms_are_refused_even_with_the_right_key() -> None:
    assert reason(sign(claims(), alg="HS512")) == "InvalidAlgorithmError"


def test_wrong_signature_is_refused() -> None:
    assert reason(sign(claims(), key="x" * 40)) == "InvalidSignatureError"


def test_tampered_payload_is_refused() -> None:
    header, _, signature = sign(claims()).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(role="admin")).encode()).decode()
    assert reason(f"{header}.{forged.rstrip('=')}.{signature}") == "InvalidSignatureError"


def test_expired_token_is_refused_by_the_clock(fixed_clock: Any) -> None:
    token = sign(claims())
    fixed_clock.advance(seconds=900 + get_settings().jwt_leeway_seconds)
    assert reason(token) == "ExpiredSignatureError"


def test_token_from_the_future_is_refused() -> None:
    later = int(START.timestamp()) + 3600
    assert reason(sign(claims(iat=later, nbf=later, exp=later + 900))) == "ImmatureSignature"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"aud": "someone-else"}, "InvalidAudienceError"),
        ({"iss": "evil"}, "InvalidIssuerError"),
        ({"exp": None}, "MissingRequiredClaimError"),
        ({"jti": None}, "MissingRequiredClaimError"),
        ({"ver": None}, "MissingRequiredClaimError"),
        ({"ver": "x"}, "BadClaims"),
        ({"sid": None}, "MissingSession"),
    ],
)
def test_claims_are_required_and_checked(override: dict[str, Any], expected: str) -> None:
    assert reason(sign(claims(**override))) == expected


def test_a_refresh_token_is_not_an_access_token_and_vice_versa() -> None:
    assert reason(sign(claims(typ="refresh"))) == "WrongTokenType"
    assert reason(sign(claims(typ="access")), "refresh") == "WrongTokenType"
    assert reason(sign(claims(typ="access")), "reset") == "WrongTokenType"


def test_garbage_is_refused() -> None:
    assert reason("not-a-token") == "DecodeError"


def test_derived_keys_differ_by_purpose() -> None:
    assert tokens.derived_key("otp") != tokens.derived_key("other")
    assert len(tokens.derived_key("otp")) == 32
