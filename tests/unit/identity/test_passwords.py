"""Password policy and argon2id hashing."""

from __future__ import annotations

import pytest

from chalicelib.identity import passwords
from chalicelib.identity.errors import WeakPasswordError


def test_hash_is_argon2id_salted_and_verifies() -> None:
    first = passwords.hash_password("Sturdy-Pass-2026")
    second = passwords.hash_password("Sturdy-Pass-2026")
    assert first.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert first != second
    assert passwords.verify_password(first, "Sturdy-Pass-2026")
    assert not passwords.verify_password(first, "sturdy-pass-2026")
    assert not passwords.verify_password("not a hash", "Sturdy-Pass-2026")


def test_hash_made_with_other_parameters_needs_rehash(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.core.settings import reset_settings

    old = passwords.hash_password("Sturdy-Pass-2026")
    monkeypatch.setenv("BAZAAR_ARGON2_TIME_COST", "2")
    reset_settings()
    assert passwords.needs_rehash(old)
    assert passwords.verify_password(old, "Sturdy-Pass-2026")


def test_production_defaults_are_strong() -> None:
    from chalicelib.core.settings import Settings

    defaults = Settings.model_fields
    assert defaults["argon2_time_cost"].default == 3
    assert defaults["argon2_memory_kib"].default == 65_536
    assert defaults["argon2_parallelism"].default == 4


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short-1", "at least 10 characters"),
        ("alllowercaseletters", "at least three"),
        ("ALLUPPER12345", "at least three"),
        ("Password123!", "too common"),
        (" Padded-Pass-2026", "whitespace"),
        ("x" * 129, "at most 128"),
        ("Jane.Doe-2026-Pass", "email address"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, problem: str) -> None:
    with pytest.raises(WeakPasswordError) as refused:
        passwords.require_strong(password, email="jane.doe@shop.example.com")
    assert problem in refused.value.message
    assert refused.value.details[0]["field"] == "password"


@pytest.mark.parametrize(
    "password", ["Sturdy-Pass-2026", "correct horse Battery staple", "Zx9!zx9!zx9!"]
)
def test_strong_passwords_pass(password: str) -> None:
    assert passwords.policy_problems(password, email="jane@shop.example.com") == []
