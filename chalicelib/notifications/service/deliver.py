"""One bus event → notifications for the right receivers: stored once, pushed, emailed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from chalicelib.core import clock
from chalicelib.core.errors import DomainError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.settings import get_settings
from chalicelib.notifications import mailer, repository
from chalicelib.notifications.domain import Delivery, Draft, Notification
from chalicelib.notifications.service import directory
from chalicelib.notifications.service.rules import RULES, Incoming
from chalicelib.realtime import service as realtime


class Outcome(StrEnum):
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"  # this receiver already had it (a redelivered event)
    MUTED = "muted"  # every channel is off for it


@dataclass(frozen=True)
class Delivered:
    draft: Draft
    outcome: Outcome
    pushed: int = 0
    emailed: bool = False


def handle(event: Incoming) -> dict[str, object]:
    """Run the event's rule and deliver each notification it drafts; a summary."""
    rule = RULES.get(event.detail_type)
    if rule is None:
        return {"detail_type": event.detail_type, "skipped": True}
    results = [deliver(draft) for draft in rule(event)]
    outcomes = Counter(str(result.outcome) for result in results)
    return {
        "detail_type": event.detail_type,
        **outcomes,
        "pushed": sum(r.pushed for r in results),
        "emailed": sum(r.emailed for r in results),
    }


def deliver(draft: Draft) -> Delivered:
    """Store (once per receiver and natural key), push and email one draft as the
    receiver's preferences and, for a shop's staff, the shop's channels allow."""
    preferences = repository.get().preferences(draft.receiver_id)
    shop_channels = directory.get().shop_channels(draft.shop_id) if draft.shop_id else None
    channels = Delivery.decide(draft, preferences, shop_channels)
    if not channels.any:
        return Delivered(draft, Outcome.MUTED)
    now = clock.now()
    notification = Notification.of(draft, at=now, digest=draft.digest and channels.email)
    retention = timedelta(days=get_settings().notification_retention_days)
    recorded = repository.get().record(
        draft.receiver_id,
        draft.dedupe,
        notification if channels.in_app else None,
        expires_at=clock.epoch(now + retention),
    )
    if not recorded:
        return Delivered(draft, Outcome.DUPLICATE)
    pushed = _push(notification) if channels.websocket else 0
    emailed = channels.email and not draft.digest and _email(notification)
    return Delivered(draft, Outcome.DELIVERED, pushed=pushed, emailed=emailed)


def _push(notification: Notification) -> int:
    # Stored already: a failed push must not make the event run again (it would find the
    # receipt and push nothing); the receiver still finds it in the list.
    try:
        return realtime.send_to_account(notification.receiver_id, notification.frame())
    except Exception:  # noqa: BLE001 - best effort, counted
        logger.exception("Notification push failed", extra={"kind": notification.kind})
        metrics.add_metric(name="NotificationPushFailed", unit="Count", value=1)
        return 0


def _email(notification: Notification) -> bool:
    # At most once: the receipt is written, so a retry would not send it; a failure is
    # logged and counted instead of sending twice.
    to = directory.get().email_of(notification.receiver_id)
    if not to:
        return False
    try:
        mailer.send_notification(notification, to=to)
    except DomainError:
        logger.exception("Notification email failed", extra={"kind": notification.kind})
        metrics.add_metric(name="NotificationEmailFailed", unit="Count", value=1)
        return False
    return True
