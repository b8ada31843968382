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
from dataclasses import dataclass, replace
from typing import Literal

from chalicelib.core import clock, mail
from chalicelib.core.caller import Caller, Role
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import RateLimitedError
from chalicelib.core.events import publish
from chalicelib.core.observability import logger, metrics
from chalicelib.core.settings import get_settings
from chalicelib.identity import mailer, passwords, repository, tokens
from chalicelib.identity.domain import (
    SYSTEM_ACTOR,
    Account,
    AccountStatus,
    AuditEntry,
    CodePurpose,
    Session,
    normalize_email,
)
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
from chalicelib.identity.service import otp, ratelimit, sockets

ACTIVE = AccountStatus.ACTIVE
PENDING = AccountStatus.PENDING_VERIFICATION


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


def _minutes(seconds: int) -> str:
    return str(max(1, seconds // 60))


def _send_code(purpose: CodePurpose, email: str, account_id: str) -> None:
    code = otp.issue(purpose, email, account_id)
    if code is None:
        return
    minutes = _minutes(get_settings().otp_ttl_seconds)
    mail.send(mailer.render(purpose, to=email, code=code, minutes=minutes))


def _code_cooldown(purpose: CodePurpose, email: str) -> None:
    ratelimit.cooldown(f"otp_send:{purpose}", email, get_settings().otp_resend_cooldown_seconds)


# ---------- sign-up and verification ----------
def register(
    email: str,
    password: str,
    *,
    role: Role,
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
    if repository.get().is_email_blocked(email):
        # Same answer as any other sign-up (hash included, for timing): nothing tells the
        # caller the address is blocked; a purged shop's seller may not return.
        logger.info("Sign-up refused for a blocked email")
        return
    account = Account.new(
        email=email,
        role=role,
        password_hash=password_hash,
        display_name=display_name,
        now=clock.now(),
        verified=False,
    )
    if not repository.get().add_account(account):
        try:
            _code_cooldown(CodePurpose.VERIFY_EMAIL, email)
        except RateLimitedError:
            return
        mail.send(mailer.render("account_exists", to=email))
        return
    # A code may have gone out moments ago for this address; this one goes out anyway.
    with contextlib.suppress(RateLimitedError):
        _code_cooldown(CodePurpose.VERIFY_EMAIL, email)
    _send_code(CodePurpose.VERIFY_EMAIL, email, account.account_id)
    metrics.add_metric(name="AccountsRegistered", unit="Count", value=1)
    publish(AccountRegistered.of(account), best_effort=True)


def resend_verification(email: str, *, origin: Origin) -> None:
    """Send a new verification code to a pending account (same answer for any email)."""
    settings = get_settings()
    email = normalize_email(email)
    ratelimit.enforce(
        "otp_send", settings.rate_limit_otp_send, email=email, source_ip=origin.source_ip
    )
    _code_cooldown(CodePurpose.VERIFY_EMAIL, email)
    account = repository.get().find_account_by_email(email)
    if account is not None and account.status == PENDING:
        _send_code(CodePurpose.VERIFY_EMAIL, email, account.account_id)


def verify_email(email: str, code: str, *, origin: Origin) -> Account:
    """Confirm an email with its code; the account becomes ACTIVE (and is returned).

    Raises InvalidCodeError, or RateLimitedError when rate-limited or locked out.
    """
    settings = get_settings()
    email = normalize_email(email)
    ratelimit.enforce(
        "otp_verify", settings.rate_limit_otp_verify, email=email, source_ip=origin.source_ip
    )
    account_id = otp.verify(CodePurpose.VERIFY_EMAIL, email, code)
    account = repository.get().get_account(account_id)
    if account is None or account.status not in (PENDING, ACTIVE):
        raise InvalidCodeError("The code is invalid or has expired")
    if account.status == ACTIVE:
        return account
    now = clock.now()
    if not repository.get().mark_verified(account_id, at=now):
        raise AccountStateError("The account changed meanwhile; try again")
    publish(AccountVerified.of(account), best_effort=True)
    return replace(account, status=ACTIVE, verified_at=now, updated_at=now)


# ---------- sessions ----------
def _open_session(account: Account) -> SessionTokens:
    settings = get_settings()
    session_id = new_id()
    refresh = tokens.issue(
        "refresh",
        subject=account.account_id,
        ttl_seconds=settings.refresh_token_ttl_seconds,
        version=account.token_version,
        session_id=session_id,
    )
    now_epoch = clock.epoch(clock.now())
    evict = account.sessions_to_evict(now_epoch=now_epoch, keep=settings.max_sessions_per_account)
    session = Session(
        token_id=refresh.claims.token_id,
        expires_at=clock.epoch(refresh.claims.expires_at),
        issued_at=now_epoch,
    )
    if not repository.get().add_session(account, session_id, session, evict):
        raise AccountStateError("The account changed meanwhile; sign in again")
    for evicted in evict:
        sockets.close_session(account.account_id, evicted)
    return SessionTokens(
        access=_access_token(account, session_id), refresh=refresh, account=account
    )


def _access_token(account: Account, session_id: str) -> tokens.IssuedToken:
    return tokens.issue(
        "access",
        subject=account.account_id,
        ttl_seconds=get_settings().access_token_ttl_seconds,
        version=account.token_version,
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
    account = repository.get().find_account_by_email(email)
    if account is None or account.status == AccountStatus.DELETED:
        passwords.spend_equal_time(password)
        raise InvalidCredentialsError("Invalid email or password")
    if not passwords.verify_password(account.password_hash, password):
        raise InvalidCredentialsError("Invalid email or password")
    if account.status == PENDING:
        raise EmailNotVerifiedError("Verify your email address before signing in")
    if account.status == AccountStatus.BANNED:
        raise AccountBannedError("This account has been banned")
    if passwords.needs_rehash(account.password_hash):
        repository.get().rehash_password(
            account.account_id, passwords.hash_password(password), version=account.token_version
        )
    metrics.add_metric(name="Logins", unit="Count", value=1)
    return _open_session(account)


def authenticate_caller(access_token: str) -> Caller:
    """The caller of an access token, its account read now (what the web edge is given
    at start-up); raises InvalidTokenError.

    Banned, deleted or unverified accounts, ended sessions and tokens issued before a
    password change are all refused here.
    """
    claims = tokens.verify(access_token, "access")
    account = repository.get().get_account(claims.subject)
    if account is None or account.status != ACTIVE:
        raise InvalidTokenError("This account cannot use the API")
    if account.token_version != claims.version or claims.session_id not in account.sessions:
        raise InvalidTokenError("This session has ended")
    return Caller(
        account_id=account.account_id,
        role=account.role,
        email=account.email,
        session_id=str(claims.session_id),
        shop_id=account.shop_id,
    )


def attach_shop(account_id: str, shop_id: str | None) -> None:
    """Record the seller's shop on their account (None: detach it); tokens read it there."""
    repository.get().set_shop(account_id, shop_id)


def email_of(account_id: str) -> str | None:
    """The account's email, or None if there is no such account."""
    account = repository.get().get_account(account_id)
    return account.email if account is not None else None


def account_of(caller: Caller) -> Account:
    """The caller's account, read now; raises InvalidTokenError if it is gone."""
    account = repository.get().get_account(caller.account_id)
    if account is None:
        raise InvalidTokenError("This account cannot use the API")
    return account


def account_id_for_email(email: str) -> str | None:
    """The id of the account registered with ``email`` (any case), or None."""
    return repository.get().account_id_for_email(normalize_email(email))


def refresh(refresh_token: str) -> SessionTokens:
    """Rotate a refresh token: the presented one is spent, a new pair is returned.

    Raises InvalidTokenError, or TokenReuseError after revoking the session when the
    token had already been spent.
    """
    settings = get_settings()
    claims = tokens.verify(refresh_token, "refresh")
    session_id = str(claims.session_id)
    account = repository.get().get_account(claims.subject)
    if account is None or account.status != ACTIVE or account.token_version != claims.version:
        raise InvalidTokenError("This session has ended")
    new_refresh = tokens.issue(
        "refresh",
        subject=account.account_id,
        ttl_seconds=settings.refresh_token_ttl_seconds,
        version=claims.version,
        session_id=session_id,
    )
    session = Session(
        token_id=new_refresh.claims.token_id,
        expires_at=clock.epoch(new_refresh.claims.expires_at),
        issued_at=clock.epoch(new_refresh.claims.issued_at),
    )
    rotated = repository.get().rotate_session(
        account.account_id,
        session_id,
        presented=claims.token_id,
        session=session,
        version=claims.version,
    )
    if rotated:
        return SessionTokens(
            access=_access_token(account, session_id), refresh=new_refresh, account=account
        )
    current = repository.get().get_account(account.account_id)
    live = current.sessions.get(session_id) if current else None
    if live is not None and live.token_id != claims.token_id:
        _revoke_reused_session(account, session_id)
        raise TokenReuseError("This refresh token was already used; the session has been revoked")
    raise InvalidTokenError("This session has ended")


def _revoke_reused_session(account: Account, session_id: str) -> None:
    account_id = account.account_id
    repository.get().end_session(account_id, session_id)
    sockets.close_session(account_id, session_id)
    repository.get().add_audit(
        AuditEntry(
            action="session.reuse_detected",
            actor_id=SYSTEM_ACTOR,
            target_id=account_id,
            at=clock.now(),
            details={"session_id": session_id},
        )
    )
    logger.warning("Refresh token reuse; session revoked", extra={"account_id": account_id})
    metrics.add_metric(name="RefreshTokenReuse", unit="Count", value=1)
    publish(SessionReuseDetected.of(account, session_id=session_id), best_effort=True)


def logout(caller: Caller) -> None:
    """End the caller's session: its refresh token and access tokens stop working and
    the WebSockets it opened are closed (the account's other sessions keep theirs)."""
    repository.get().end_session(caller.account_id, caller.session_id)
    sockets.close_session(caller.account_id, caller.session_id)


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
    _code_cooldown(CodePurpose.RESET_PASSWORD, email)
    account = repository.get().find_account_by_email(email)
    if account is not None and account.status == ACTIVE:
        _send_code(CodePurpose.RESET_PASSWORD, email, account.account_id)


def verify_reset_code(email: str, code: str, *, origin: Origin) -> tokens.IssuedToken:
    """Trade a reset code for a short-lived reset token.

    Raises InvalidCodeError, or RateLimitedError when rate-limited or locked out.
    """
    settings = get_settings()
    email = normalize_email(email)
    ratelimit.enforce(
        "otp_verify", settings.rate_limit_otp_verify, email=email, source_ip=origin.source_ip
    )
    account_id = otp.verify(CodePurpose.RESET_PASSWORD, email, code)
    account = repository.get().get_account(account_id)
    if account is None or account.status != ACTIVE:
        raise InvalidCodeError("The code is invalid or has expired")
    return tokens.issue(
        "reset",
        subject=account.account_id,
        ttl_seconds=settings.reset_token_ttl_seconds,
        version=account.token_version,
    )


def _replace_password(
    account: Account, new_password: str, *, via: Literal["change", "reset"], version: int
) -> bool:
    audit = AuditEntry(
        action=f"password.{via}",
        actor_id=account.account_id,
        target_id=account.account_id,
        at=clock.now(),
    )
    changed = repository.get().replace_password(
        account.account_id, passwords.hash_password(new_password), version=version, audit=audit
    )
    if changed:
        # Every session ended in that write; so do their WebSockets.
        sockets.close_account(account.account_id)
        publish(AccountPasswordChanged.of(account, via=via), best_effort=True)
    return changed


def reset_password(reset_token: str, new_password: str, *, origin: Origin) -> None:
    """Set a new password with a reset token; every session of the account ends (and
    every WebSocket of the account closes).

    The token is single-use: the password change bumps the version it was issued for.
    Raises InvalidTokenError, WeakPasswordError, RateLimitedError.
    """
    settings = get_settings()
    claims = tokens.verify(reset_token, "reset")
    ratelimit.enforce(
        "password_reset", settings.rate_limit_password_reset, email=None, source_ip=origin.source_ip
    )
    account = repository.get().get_account(claims.subject)
    if account is None or account.status != ACTIVE or account.token_version != claims.version:
        raise InvalidTokenError("This reset token is no longer valid")
    passwords.require_strong(new_password, email=account.email, field="new_password")
    if not _replace_password(account, new_password, via="reset", version=claims.version):
        raise InvalidTokenError("This reset token is no longer valid")


def change_password(
    caller: Caller, current_password: str, new_password: str, *, origin: Origin
) -> SessionTokens:
    """Change the caller's password; their sessions (and WebSockets) end, a new one opens.

    Raises WrongPasswordError, WeakPasswordError, RateLimitedError.
    """
    settings = get_settings()
    account = account_of(caller)
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
    if not _replace_password(account, new_password, via="change", version=account.token_version):
        raise AccountStateError("The account changed meanwhile; sign in again")
    fresh = repository.get().get_account(account.account_id)
    if fresh is None:
        raise AccountStateError("The account changed meanwhile; sign in again")
    return _open_session(fresh)


def block_signups(email: str, *, reason: str, shop_id: str | None = None) -> None:
    """Refuse future sign-ups with ``email`` (idempotent); a purged shop's seller."""
    repository.get().block_email(
        normalize_email(email), reason=reason, shop_id=shop_id, at=clock.now()
    )


def is_signup_blocked(email: str) -> bool:
    """True if ``email`` (any case) may not be used for a new account."""
    return repository.get().is_email_blocked(normalize_email(email))
