"""Identity's domain errors. Each subclasses a core error, so its HTTP status follows."""

from __future__ import annotations

from chalicelib.core.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    UnauthorizedError,
    ValidationFailedError,
)


class InvalidCredentialsError(UnauthorizedError):
    """Unknown email or wrong password (deliberately indistinguishable)."""

    code = "INVALID_CREDENTIALS"


class InvalidTokenError(UnauthorizedError):
    """A token that is malformed, forged, expired, of the wrong kind or revoked."""

    code = "INVALID_TOKEN"


class TokenReuseError(InvalidTokenError):
    """A refresh token was presented a second time; its whole session was revoked."""

    code = "TOKEN_REUSED"


class EmailNotVerifiedError(ForbiddenError):
    """Right password, but the account has not confirmed its email yet."""

    code = "EMAIL_NOT_VERIFIED"


class AccountBannedError(ForbiddenError):
    """Right password, but an admin banned the account."""

    code = "ACCOUNT_BANNED"


class WrongPasswordError(ForbiddenError):
    """A signed-in caller confirmed an action with the wrong current password."""

    code = "WRONG_PASSWORD"


class InvalidCodeError(BadRequestError):
    """A one-time code that is wrong, expired, already used or never sent."""

    code = "INVALID_CODE"


class WeakPasswordError(ValidationFailedError):
    """A new password breaks the password policy (details name each rule)."""

    code = "WEAK_PASSWORD"


class AccountStateError(ConflictError):
    """The account is not in a state that allows this (e.g. promoting a seller)."""

    code = "ACCOUNT_STATE"
