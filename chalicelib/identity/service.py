"""Identity use cases: sign-up, email verification, sign-in, sessions and passwords.

Sessions: sign-in opens a session (id ``sid``) on the account and returns a short-lived
access token and a long-lived refresh token, both naming it. Each refresh is single-use:
it rotates the session's current refresh token id with a conditional write. A refresh
token presented after it was rotated means two parties hold it, so the whole session is
revoked. Every authenticated request reads the account once (consistently), so a ban, a
password reset or a sign-out takes effect on the next request.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.catalog import blocklist
from chalicelib.core import clock, events, mail
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import DependencyUnavailableError, RateLimitedError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.settings import get_settings
from chalicelib.identity import mailer, otp, passwords, ratelimit, repository, tokens
from chalicelib.identity.errors import (
    AccountBannedError,
    AccountStateError,
    EmailNotVerifiedError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidTokenError,
    TokenReuseError,
    WeakPasswordError,
    WrongPasswordError,
)
from chalicelib.identity.events import (
    AccountPasswordChanged,
    AccountRegistered,
    AccountVerified,
    SessionReuseDetected,
)
from chalicelib.identity.models import Account

SignupRole = Literal["user", "seller"]
PENDING = "PENDING_VERIFICATION"
ACTIVE = "ACTIVE"
BANNED = "BANNED"
DELETED = "DELETED"
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Origin:
    """Where a request came from (rate limits key on the IP)."""

    source_ip: str | None = None


@dataclass(frozen=True)
class SessionTokens:
    """What a sign-in or a refresh hands back."""

    access: tokens.IssuedToken
    refresh: tokens.IssuedToken
    account: Account


@dataclass(frozen=True)
class Authenticated:
    """A verified access token and the account it belongs to, as read for this request."""

    account: Account
    claims: tokens.TokenClaims


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively: stored and looked up lower-case."""
    return email.strip().lower()


def publish(*domain_events: events.DomainEvent) -> None:
    """Announce events after the change they describe is stored.

    A bus failure is logged and counted but does not fail the request: the change is
    already committed (and audited where it matters).
    """
    try:
        events.publish(*domain_events)
    except (DependencyUnavailableError, BotoCoreError, ClientError):
        logger.exception("Could not publish identity events")
        metrics.add_metric(name="IdentityEventsNotPublished", unit="Count", value=1)


def _minutes(seconds: int) -> str:
    return str(max(1, seconds // 60))


def _send_code(purpose: otp.Purpose, email: str, account_id: str) -> None:
    code = otp.issue(purpose, email, account_id)
    if code is None:
        return
    minutes = _minutes(get_settings().otp_ttl_seconds)
    mail.send(mailer.render(purpose, to=email, code=code, minutes=minutes))


def _code_cooldown(purpose: otp.Purpose, email: str) -> None:
    ratelimit.cooldown(f"otp_send:{purpose}", email, get_settings().otp_resend_cooldown_seconds)


# ---------- sign-up and verification ----------
def register(
    email: str,
    password: str,
    *,
    role: SignupRole,
    display_name: str | None,
    origin: Origin,
) -> None:
    """Create a pending account and email it a code; raises WeakPasswordError, RateLimitedError.

    An email that is already registered gets the same answer (no enumeration); its owner
    is told by email instead.
    """
    settings = get_settings()
    email = normalize_email(email)
    ratelimit.enforce(
        "register", settings.rate_limit_register, email=email, source_ip=origin.source_ip
    )
    passwords.require_strong(password, email=email)
    password_hash = passwords.hash_password(password)
    if blocklist.is_email_blocked(email):
        # Same answer as any other sign-up (hash included, for timing): nothing tells the
        # caller the address is blocked; a purged shop's seller may not return.
        logger.info("Sign-up refused for a blocked email")
        return
    account = repository.new_account(
        email=email,
        role=role,
        status=PENDING,
        password_hash=password_hash,
        display_name=display_name,
        now=clock.now(),
        verified=False,
    )
    account_id = account.account_id
    if not repository.create_account(account):
        try:
            _code_cooldown(otp.VERIFY_EMAIL, email)
        except RateLimitedError:
            return
        mail.send(mailer.render("account_exists", to=email))
        return
    # A code may have gone out moments ago for this address; this one goes out anyway.
    with contextlib.suppress(RateLimitedError):
        _code_cooldown(otp.VERIFY_EMAIL, email)
    _send_code(otp.VERIFY_EMAIL, email, account_id)
    metrics.add_metric(name="AccountsRegistered", unit="Count", value=1)
    publish(AccountRegistered(account_id=account_id, role=role))


def resend_verification(email: str, *, origin: Origin) -> None:
    """Send a new verification code to a pending account (same answer for any email)."""
    settings = get_settings()
    email = normalize_email(email)
    ratelimit.enforce(
        "otp_send", settings.rate_limit_otp_send, email=email, source_ip=origin.source_ip
    )
    _code_cooldown(otp.VERIFY_EMAIL, email)
    account = repository.find_account_by_email(email)
    if account is not None and account.status == PENDING:
        _send_code(otp.VERIFY_EMAIL, email, account.account_id)


def verify_email(email: str, code: str, *, origin: Origin) -> Account:
    """Confirm an email with its code; the account becomes ACTIVE.

    Raises InvalidCodeError, or RateLimitedError when rate-limited or locked out.
    """
    settings = get_settings()
    email = normalize_email(email)
    ratelimit.enforce(
        "otp_verify", settings.rate_limit_otp_verify, email=email, source_ip=origin.source_ip
    )
    account_id = otp.verify(otp.VERIFY_EMAIL, email, code)
    account = repository.get_account(account_id)
    if account is None or account.status not in (PENDING, ACTIVE):
        raise InvalidCodeError("The code is invalid or has expired")
    if account.status == ACTIVE:
        return account
    now = clock.now()
    changed = repository.update_account(
        account,
        [
            Account.status.set(ACTIVE),
            Account.verified_at.set(now),
            Account.updated_at.set(now),
        ],
        expect_status=[PENDING],
    )
    if not changed:
        raise AccountStateError("The account changed meanwhile; try again")
    publish(AccountVerified.model_validate({"account_id": account_id, "role": account.role}))
    return account


# ---------- sessions ----------
def _open_session(account: Account) -> SessionTokens:
    settings = get_settings()
    now_epoch = clock.epoch(clock.now())
    session_id = repository.new_id()
    version = int(account.token_version)
    refresh = tokens.issue(
        "refresh",
        subject=account.account_id,
        ttl_seconds=settings.refresh_token_ttl_seconds,
        version=version,
        session_id=session_id,
    )
    sessions = account.session_map()
    evict = [sid for sid, entry in sessions.items() if int(entry.get("exp", 0)) <= now_epoch]
    live = sorted(
        (sid for sid in sessions if sid not in evict),
        key=lambda sid: int(sessions[sid].get("iat", 0)),
    )
    overflow = len(live) + 1 - settings.max_sessions_per_account
    evict += live[: max(0, overflow)]
    entry = {
        "jti": refresh.claims.token_id,
        "exp": clock.epoch(refresh.claims.expires_at),
        "iat": now_epoch,
    }
    if not repository.put_session(account, session_id, entry, evict):
        raise AccountStateError("The account changed meanwhile; sign in again")
    return SessionTokens(
        access=_access_token(account, session_id), refresh=refresh, account=account
    )


def _access_token(account: Account, session_id: str) -> tokens.IssuedToken:
    return tokens.issue(
        "access",
        subject=account.account_id,
        ttl_seconds=get_settings().access_token_ttl_seconds,
        version=int(account.token_version),
        role=account.role,
        session_id=session_id,
        shop_id=account.shop_id,
    )


def login(email: str, password: str, *, origin: Origin) -> SessionTokens:
    """Check the password and open a session.

    Raises InvalidCredentialsError for an unknown email or a wrong password alike (same
    message, same work), EmailNotVerifiedError, AccountBannedError, RateLimitedError.
    """
    settings = get_settings()
    email = normalize_email(email)
    ratelimit.enforce("login", settings.rate_limit_login, email=email, source_ip=origin.source_ip)
    account = repository.find_account_by_email(email)
    if account is None or account.status == DELETED:
        passwords.spend_equal_time(password)
        raise InvalidCredentialsError("Invalid email or password")
    if not passwords.verify_password(account.password_hash, password):
        raise InvalidCredentialsError("Invalid email or password")
    if account.status == PENDING:
        raise EmailNotVerifiedError("Verify your email address before signing in")
    if account.status == BANNED:
        raise AccountBannedError("This account has been banned")
    if passwords.needs_rehash(account.password_hash):
        repository.update_account(
            account,
            [Account.password_hash.set(passwords.hash_password(password))],
            expect_version=int(account.token_version),
        )
    metrics.add_metric(name="Logins", unit="Count", value=1)
    return _open_session(account)


def authenticate(access_token: str) -> Authenticated:
    """The account behind an access token, read now; raises InvalidTokenError.

    Banned, deleted or unverified accounts, ended sessions and tokens issued before a
    password change are all refused here.
    """
    claims = tokens.verify(access_token, "access")
    account = repository.get_account(claims.subject)
    if account is None or account.status != ACTIVE:
        raise InvalidTokenError("This account cannot use the API")
    if int(account.token_version) != claims.version or (
        claims.session_id not in account.session_map()
    ):
        raise InvalidTokenError("This session has ended")
    return Authenticated(account=account, claims=claims)


def authenticate_caller(access_token: str) -> Caller:
    """The caller of an access token (what the web edge is given at start-up)."""
    found = authenticate(access_token)
    account = found.account
    return Caller(
        account_id=account.account_id,
        role=Role(account.role),
        email=account.email,
        session_id=str(found.claims.session_id),
        shop_id=account.shop_id,
    )


def attach_shop(account_id: str, shop_id: str | None) -> None:
    """Record the seller's shop on their account (None: detach it); tokens read it there."""
    repository.set_shop(account_id, shop_id)


def email_of(account_id: str) -> str | None:
    """The account's email, or None if there is no such account."""
    account = repository.get_account(account_id)
    return account.email if account is not None else None


def block_signups(email: str, *, reason: str, shop_id: str | None = None) -> None:
    """Refuse future sign-ups with ``email`` (idempotent); a purged shop's seller."""
    blocklist.block_email(email, reason=reason, shop_id=shop_id)


def account_of(caller: Caller) -> Account:
    """The caller's account, read now; raises InvalidTokenError if it is gone."""
    account = repository.get_account(caller.account_id)
    if account is None:
        raise InvalidTokenError("This account cannot use the API")
    return account


def refresh(refresh_token: str) -> SessionTokens:
    """Rotate a refresh token: the presented one is spent, a new pair is returned.

    Raises InvalidTokenError, or TokenReuseError after revoking the session when the
    token had already been spent.
    """
    settings = get_settings()
    claims = tokens.verify(refresh_token, "refresh")
    session_id = str(claims.session_id)
    account = repository.get_account(claims.subject)
    if account is None or account.status != ACTIVE or int(account.token_version) != claims.version:
        raise InvalidTokenError("This session has ended")
    new_refresh = tokens.issue(
        "refresh",
        subject=account.account_id,
        ttl_seconds=settings.refresh_token_ttl_seconds,
        version=claims.version,
        session_id=session_id,
    )
    entry = {
        "jti": new_refresh.claims.token_id,
        "exp": clock.epoch(new_refresh.claims.expires_at),
        "iat": clock.epoch(new_refresh.claims.issued_at),
    }
    rotated = repository.rotate_session(
        account.account_id,
        session_id,
        presented_jti=claims.token_id,
        entry=entry,
        version=claims.version,
        status=ACTIVE,
    )
    if rotated:
        return SessionTokens(
            access=_access_token(account, session_id), refresh=new_refresh, account=account
        )
    current = repository.get_account(account.account_id)
    live = current.session_map().get(session_id) if current else None
    if live is not None and live.get("jti") != claims.token_id:
        _revoke_reused_session(account.account_id, session_id)
        raise TokenReuseError("This refresh token was already used; the session has been revoked")
    raise InvalidTokenError("This session has ended")


def _revoke_reused_session(account_id: str, session_id: str) -> None:
    repository.remove_session(account_id, session_id)
    repository.put_audit(
        repository.new_audit_entry(
            action="session.reuse_detected",
            actor_id=SYSTEM_ACTOR,
            target_id=account_id,
            at=clock.now(),
            details={"session_id": session_id},
        )
    )
    logger.warning("Refresh token reuse; session revoked", extra={"account_id": account_id})
    metrics.add_metric(name="RefreshTokenReuse", unit="Count", value=1)
    publish(SessionReuseDetected(account_id=account_id, session_id=session_id))


def logout(account_id: str, session_id: str) -> None:
    """End one session: its refresh token and access tokens stop working."""
    repository.remove_session(account_id, session_id)


# ---------- passwords ----------
def forgot_password(email: str, *, origin: Origin) -> None:
    """Email a reset code if an active account has this email (same answer either way)."""
    settings = get_settings()
    email = normalize_email(email)
    ratelimit.enforce(
        "password_reset",
        settings.rate_limit_password_reset,
        email=email,
        source_ip=origin.source_ip,
    )
    _code_cooldown(otp.RESET_PASSWORD, email)
    account = repository.find_account_by_email(email)
    if account is not None and account.status == ACTIVE:
        _send_code(otp.RESET_PASSWORD, email, account.account_id)


def verify_reset_code(email: str, code: str, *, origin: Origin) -> tokens.IssuedToken:
    """Trade a reset code for a short-lived reset token.

    Raises InvalidCodeError, or RateLimitedError when rate-limited or locked out.
    """
    settings = get_settings()
    email = normalize_email(email)
    ratelimit.enforce(
        "otp_verify", settings.rate_limit_otp_verify, email=email, source_ip=origin.source_ip
    )
    account_id = otp.verify(otp.RESET_PASSWORD, email, code)
    account = repository.get_account(account_id)
    if account is None or account.status != ACTIVE:
        raise InvalidCodeError("The code is invalid or has expired")
    return tokens.issue(
        "reset",
        subject=account.account_id,
        ttl_seconds=settings.reset_token_ttl_seconds,
        version=int(account.token_version),
    )


def _replace_password(
    account: Account, new_password: str, *, via: Literal["change", "reset"], version: int
) -> bool:
    now = clock.now()
    changed = repository.update_account(
        account,
        [
            Account.password_hash.set(passwords.hash_password(new_password)),
            Account.token_version.add(1),
            Account.sessions.set({}),
            Account.updated_at.set(now),
        ],
        expect_status=[ACTIVE],
        expect_version=version,
        audit=repository.new_audit_entry(
            action=f"password.{via}",
            actor_id=account.account_id,
            target_id=account.account_id,
            at=now,
        ),
    )
    if changed:
        publish(AccountPasswordChanged(account_id=account.account_id, via=via))
    return changed


def reset_password(reset_token: str, new_password: str, *, origin: Origin) -> None:
    """Set a new password with a reset token; every session of the account ends.

    The token is single-use: the password change bumps the version it was issued for.
    Raises InvalidTokenError, WeakPasswordError, RateLimitedError.
    """
    settings = get_settings()
    claims = tokens.verify(reset_token, "reset")
    ratelimit.enforce(
        "password_reset", settings.rate_limit_password_reset, email=None, source_ip=origin.source_ip
    )
    account = repository.get_account(claims.subject)
    if account is None or account.status != ACTIVE or int(account.token_version) != claims.version:
        raise InvalidTokenError("This reset token is no longer valid")
    passwords.require_strong(new_password, email=account.email, field="new_password")
    if not _replace_password(account, new_password, via="reset", version=claims.version):
        raise InvalidTokenError("This reset token is no longer valid")


def change_password(
    account: Account, current_password: str, new_password: str, *, origin: Origin
) -> SessionTokens:
    """Change the password of a signed-in account; other sessions end, a new one opens.

    Raises WrongPasswordError, WeakPasswordError, RateLimitedError.
    """
    settings = get_settings()
    ratelimit.enforce(
        "login", settings.rate_limit_login, email=account.email, source_ip=origin.source_ip
    )
    if not passwords.verify_password(account.password_hash, current_password):
        raise WrongPasswordError("The current password is wrong")
    passwords.require_strong(new_password, email=account.email, field="new_password")
    if new_password == current_password:
        raise WeakPasswordError(
            "The new password must differ from the current one",
            details=[{"field": "new_password", "message": "must differ", "type": "weak_password"}],
        )
    if not _replace_password(
        account, new_password, via="change", version=int(account.token_version)
    ):
        raise AccountStateError("The account changed meanwhile; sign in again")
    fresh = repository.get_account(account.account_id)
    if fresh is None:
        raise AccountStateError("The account changed meanwhile; sign in again")
    return _open_session(fresh)
