"""JSON Web Tokens: access, refresh and password-reset tokens, signed and checked here only.

The algorithm is pinned by settings (HS256), so a token's own header can never choose
another (``alg: none`` included). The signing key comes from Secrets Manager when
``BAZAAR_JWT_SECRET_ARN`` is set (AWS and the local cloud), cached per container with
Powertools parameters; otherwise from settings (unit tests).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.core import aws, clock
from chalicelib.core.settings import get_settings
from chalicelib.identity.errors import InvalidTokenError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

TokenType = Literal["access", "refresh", "reset"]
REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "exp", "jti", "typ", "ver"]
_provider: tuple[Any, SecretsProvider] | None = None


def _secrets() -> SecretsProvider:
    # Powertools' parameters package (AppConfig, SSM, DynamoDB providers) loads on first use.
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    global _provider
    client = aws.client("secretsmanager")
    if _provider is None or _provider[0] is not client:
        _provider = (client, SecretsProvider(boto3_client=client))
    return _provider[1]


def signing_key() -> bytes:
    """The HMAC key tokens are signed with."""
    settings = get_settings()
    if settings.jwt_secret_arn:
        value = _secrets().get(settings.jwt_secret_arn, max_age=settings.jwt_secret_cache_seconds)
        key = value if isinstance(value, bytes) else str(value).encode()
    else:
        key = settings.jwt_secret.get_secret_value().encode()
    if len(key) < 32:
        raise RuntimeError("The JWT signing key must be at least 32 bytes")
    return key


def derived_key(purpose: str) -> bytes:
    """A key for ``purpose`` (e.g. hashing one-time codes) derived from the signing key."""
    return hmac.new(signing_key(), b"bazaar:" + purpose.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class TokenClaims:
    """The verified claims of one token."""

    subject: str
    token_type: TokenType
    token_id: str
    issued_at: datetime
    expires_at: datetime
    version: int
    role: str | None = None
    session_id: str | None = None
    shop_id: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    """A signed token and what it says."""

    token: str
    claims: TokenClaims

    @property
    def expires_in(self) -> int:
        return int((self.claims.expires_at - self.claims.issued_at).total_seconds())


def issue(
    token_type: TokenType,
    *,
    subject: str,
    ttl_seconds: int,
    version: int,
    role: str | None = None,
    session_id: str | None = None,
    shop_id: str | None = None,
) -> IssuedToken:
    """Sign a token of ``token_type`` for ``subject`` valid for ``ttl_seconds`` from now."""
    settings = get_settings()
    issued = clock.now().replace(microsecond=0)
    expires = issued + timedelta(seconds=ttl_seconds)
    claims = TokenClaims(
        subject=subject,
        token_type=token_type,
        token_id=uuid.uuid4().hex,
        issued_at=issued,
        expires_at=expires,
        version=version,
        role=role,
        session_id=session_id,
        shop_id=shop_id,
    )
    payload: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": clock.epoch(issued),
        "nbf": clock.epoch(issued),
        "exp": clock.epoch(expires),
        "jti": claims.token_id,
        "typ": token_type,
        "ver": version,
    }
    if role is not None:
        payload["role"] = role
    if session_id is not None:
        payload["sid"] = session_id
    if shop_id is not None:
        payload["shop_id"] = shop_id
    import jwt  # PyJWT (and cryptography) load when a token is first signed: cold start

    token = jwt.encode(payload, signing_key(), algorithm=settings.jwt_algorithm)
    return IssuedToken(token=token, claims=claims)


def verify(token: str, expected: TokenType) -> TokenClaims:
    """Check signature, algorithm, issuer, audience, times and type; raises InvalidTokenError."""
    import jwt  # PyJWT (and cryptography) load when a token is first checked: cold start

    settings = get_settings()
    try:
        payload = jwt.decode(
            token,
            signing_key(),
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            # Times are checked below against identity's clock, which tests control.
            options={
                "require": REQUIRED_CLAIMS,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as error:
        raise InvalidTokenError("Invalid token", details={"reason": type(error).__name__}) from None
    now = clock.epoch(clock.now())
    leeway = settings.jwt_leeway_seconds
    try:
        issued_at, expires_at = int(payload["iat"]), int(payload["exp"])
        not_before = int(payload.get("nbf", issued_at))
        version = int(payload["ver"])
    except (TypeError, ValueError):
        raise InvalidTokenError("Invalid token", details={"reason": "BadClaims"}) from None
    if expires_at <= now - leeway:
        raise InvalidTokenError("Token has expired", details={"reason": "ExpiredSignatureError"})
    if issued_at > now + leeway or not_before > now + leeway:
        raise InvalidTokenError("Token is not valid yet", details={"reason": "ImmatureSignature"})
    if payload["typ"] != expected:
        raise InvalidTokenError(
            f"Expected a {expected} token", details={"reason": "WrongTokenType"}
        )
    session_id = payload.get("sid")
    if expected in ("access", "refresh") and not isinstance(session_id, str):
        raise InvalidTokenError("Invalid token", details={"reason": "MissingSession"})
    return TokenClaims(
        subject=str(payload["sub"]),
        token_type=expected,
        token_id=str(payload["jti"]),
        issued_at=datetime.fromtimestamp(issued_at, clock.now().tzinfo),
        expires_at=datetime.fromtimestamp(expires_at, clock.now().tzinfo),
        version=version,
        role=payload.get("role"),
        session_id=session_id,
        shop_id=payload.get("shop_id"),
    )
