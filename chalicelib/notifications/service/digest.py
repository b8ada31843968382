"""The chat email digest: one email per receiver listing chat notifications still unread
after the delay; never the same notification twice."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from chalicelib.core import clock
from chalicelib.core.errors import DomainError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.notifications import mailer, repository
from chalicelib.notifications.domain import Category, Channel, Notification
from chalicelib.notifications.service import directory


def send_digests() -> dict[str, int]:
    """Email each receiver their chat notifications unread for longer than
    ``chat_digest_delay_seconds`` (found by the digest index, bounded per run).

    Each notification is taken out of the digest queue (conditionally) before the email
    goes: a notification read meanwhile, or taken by an overlapping run, is left out. If
    the email cannot be sent, the taken ones go back for the next run.
    """
    settings = get_settings()
    now = clock.now()
    repo = repository.get()
    due = repo.digest_due(
        now - timedelta(seconds=settings.chat_digest_delay_seconds),
        limit=settings.chat_digest_max_per_run,
    )
    by_receiver: dict[str, list[Notification]] = defaultdict(list)
    for notification in due:
        by_receiver[notification.receiver_id].append(notification)
    counts = {"due": len(due), "emails": 0, "notifications": 0, "muted": 0, "failed": 0}
    for receiver_id, pending in by_receiver.items():
        taken = [n for n in pending if repo.take_for_digest(n)]
        if not taken:
            continue
        wants = repo.preferences(receiver_id).allows(Category.CHAT, Channel.EMAIL)
        to = directory.get().email_of(receiver_id) if wants else None
        if not to:
            counts["muted"] += len(taken)  # muted since, or no address: dropped, not sent
            continue
        try:
            mailer.send_chat_digest(taken, to=to)
        except DomainError:
            logger.exception("Chat digest email failed; it goes back for the next run")
            for notification in taken:
                repo.return_to_digest(notification)
            counts["failed"] += 1
            continue
        counts["emails"] += 1
        counts["notifications"] += len(taken)
    return counts
