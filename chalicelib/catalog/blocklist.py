"""Emails that may not sign up again: the sellers whose shops were purged.

Identity's sign-up calls ``is_email_blocked`` before it creates an account.
"""

from __future__ import annotations

from chalicelib.catalog.models import BlockedEmail, blocked_pk
from chalicelib.core import clock


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively (as identity stores them)."""
    return email.strip().lower()


def block_email(email: str, *, reason: str, shop_id: str | None = None) -> None:
    """Block ``email`` from signing up (idempotent)."""
    normalized = normalize_email(email)
    BlockedEmail(
        pk=blocked_pk(normalized),
        email=normalized,
        reason=reason,
        shop_id=shop_id,
        blocked_at=clock.now(),
    ).save()


def is_email_blocked(email: str) -> bool:
    """True if ``email`` may not be used to sign up (one GetItem)."""
    try:
        BlockedEmail.get(blocked_pk(normalize_email(email)), "BLOCK")
    except BlockedEmail.DoesNotExist:
        return False
    return True
