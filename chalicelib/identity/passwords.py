"""Password hashing (argon2id, parameters from settings) and the password policy."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.core.settings import get_settings
from chalicelib.identity.errors import WeakPasswordError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

# The most common passwords that still satisfy the length and character-class rules.
COMMON_PASSWORDS = frozenset(
    {
        "password123!",
        "password1234",
        "passw0rd1234",
        "p@ssw0rd1234",
        "p@ssword1234",
        "qwerty123456",
        "qwertyuiop12",
        "welcome12345",
        "letmein12345",
        "iloveyou1234",
        "administrator1",
        "changeme1234",
        "1q2w3e4r5t6y",
        "abc123456789",
        "123456789abc",
        "password1!",
        "passw0rd!!",
        "welcome123!",
        "qwerty123!",
        "admin12345!",
    }
)


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    from argon2 import PasswordHasher, Type  # imported when a password is first hashed: cold start

    return PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def hasher() -> PasswordHasher:
    """The argon2id hasher configured by settings."""
    settings = get_settings()
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def hash_password(password: str) -> str:
    """An argon2id PHC string (salted) for ``password``."""
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never raises on a mismatch)."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current settings."""
    return hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("bazaar-timing-equaliser")


def spend_equal_time(password: str) -> None:
    """Verify against a dummy hash, so an unknown email costs as long as a wrong password."""
    settings = get_settings()
    verify_password(
        _dummy_hash(
            settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
        ),
        password,
    )


def policy_problems(password: str, *, email: str | None = None) -> list[str]:
    """Every rule ``password`` breaks (empty when it is acceptable)."""
    settings = get_settings()
    problems: list[str] = []
    if len(password) < settings.password_min_length:
        problems.append(f"must be at least {settings.password_min_length} characters long")
    if len(password) > settings.password_max_length:
        problems.append(f"must be at most {settings.password_max_length} characters long")
    classes = [
        bool(re.search(r"[a-z]", password)),
        bool(re.search(r"[A-Z]", password)),
        bool(re.search(r"[0-9]", password)),
        bool(re.search(r"[^A-Za-z0-9]", password)),
    ]
    if sum(classes) < 3:
        problems.append(
            "must mix at least three of: lower-case letters, upper-case letters, digits, symbols"
        )
    if password.strip() != password:
        problems.append("must not start or end with whitespace")
    if password.lower() in COMMON_PASSWORDS:
        problems.append("is too common")
    if re.fullmatch(r"(.)\1*", password):
        problems.append("must not repeat a single character")
    if email:
        local_part = email.split("@", 1)[0].lower()
        if len(local_part) >= 4 and local_part in password.lower():
            problems.append("must not contain your email address")
    return problems


def require_strong(password: str, *, email: str | None = None, field: str = "password") -> None:
    """Raise WeakPasswordError listing each broken rule, if any."""
    problems = policy_problems(password, email=email)
    if problems:
        details: list[dict[str, Any]] = [
            {"field": field, "message": f"Password {problem}", "type": "weak_password"}
            for problem in problems
        ]
        raise WeakPasswordError("Password is too weak: " + "; ".join(problems), details=details)
