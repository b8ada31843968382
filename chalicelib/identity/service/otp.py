"""One-time codes: issued per purpose and email, stored as keyed hashes, single-use.

A wrong guess spends an attempt before the comparison; the last allowed wrong guess
locks the email out of that purpose (no new code either) for the lockout period.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import timedelta

from chalicelib.core import clock
from chalicelib.core.errors import RateLimitedError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.identity import repository, tokens
from chalicelib.identity.domain import CodePurpose, OtpChallenge
from chalicelib.identity.errors import InvalidCodeError


def generate_code() -> str:
    """A uniformly random numeric code of the configured length."""
    length = get_settings().otp_length
    return f"{secrets.randbelow(10**length):0{length}d}"


def code_hash(purpose: str, email: str, code: str) -> str:
    """Keyed hash of a code: a stolen table does not reveal codes, even by brute force."""
    message = f"{purpose}:{email}:{code}".encode()
    return hmac.new(tokens.derived_key("otp"), message, hashlib.sha256).hexdigest()


def issue(purpose: CodePurpose, email: str, account_id: str) -> str | None:
    """A new code replacing any earlier one; None while the email is locked out."""
    settings = get_settings()
    now = clock.now()
    code = generate_code()
    challenge = OtpChallenge(
        purpose=purpose,
        email=email,
        account_id=account_id,
        code_hash=code_hash(purpose, email, code),
        sent_at=now,
        code_expires_at=now + timedelta(seconds=settings.otp_ttl_seconds),
    )
    if not repository.get().put_challenge(challenge, now=now):
        logger.info("Code not issued: locked out", extra={"purpose": purpose})
        return None
    return code


def locked_for(purpose: CodePurpose, email: str) -> int:
    """Seconds the email is still locked out of ``purpose`` (0 when it is not)."""
    challenge = repository.get().get_challenge(purpose, email)
    now = clock.now()
    if challenge is None or challenge.locked_until is None or challenge.locked_until <= now:
        return 0
    return max(1, math.ceil((challenge.locked_until - now).total_seconds()))


def verify(purpose: CodePurpose, email: str, code: str) -> str:
    """Use up a code; returns the account id it was issued for.

    Raises InvalidCodeError (wrong, expired, used or never sent) or RateLimitedError
    (locked out, with the seconds left).
    """
    settings = get_settings()
    now = clock.now()
    challenge = repository.get().spend_attempt(
        purpose, email, max_attempts=settings.otp_max_attempts, now=now
    )
    if challenge is None:
        locked = locked_for(purpose, email)
        if locked:
            raise RateLimitedError("Too many wrong codes; try again later", retry_after=locked)
        raise InvalidCodeError("The code is invalid or has expired")
    stored = challenge.code_hash or ""
    if hmac.compare_digest(stored, code_hash(purpose, email, code)):
        if repository.get().consume_challenge(purpose, email, stored):
            return challenge.account_id
        raise InvalidCodeError("The code is invalid or has expired")
    attempts_left = settings.otp_max_attempts - challenge.attempts
    if attempts_left <= 0:
        until = now + timedelta(seconds=settings.otp_lockout_seconds)
        repository.get().lock_challenge(purpose, email, until=until)
        logger.warning("Code locked out after too many wrong attempts", extra={"purpose": purpose})
        raise RateLimitedError(
            "Too many wrong codes; try again later", retry_after=settings.otp_lockout_seconds
        )
    raise InvalidCodeError(
        "The code is invalid or has expired", details={"attempts_left": attempts_left}
    )
