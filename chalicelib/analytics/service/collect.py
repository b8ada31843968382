"""Collecting client events: check the whole batch, enrich it, queue it as one message.

A batch is accepted whole or refused whole (nothing of a refused batch is queued, so
nothing of it reaches the lake or the counters). The device comes from the User-Agent,
the country from CloudFront's viewer country (else the client's ISO code, else
``unknown``); the source IP only keys the rate limit, hashed, and is never stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.analytics import device as devices
from chalicelib.analytics import repository
from chalicelib.analytics.domain import (
    COUNTRIES,
    UNKNOWN_COUNTRY,
    DeviceType,
    Fact,
    FactBatch,
    FactKind,
)
from chalicelib.analytics.errors import EventBatchRejectedError
from chalicelib.analytics.schemas import EventBatchRequest
from chalicelib.analytics.service import facts as lines
from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import RateLimitedError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings


@dataclass(frozen=True)
class Collected:
    batch_id: str | None
    accepted: int
    dropped: int


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def country_of(viewer_country: str | None, claimed: str | None) -> str:
    """CloudFront's viewer country if it is an ISO code, else the client's, else unknown."""
    for candidate in (viewer_country, claimed):
        if candidate and candidate.strip().upper() in COUNTRIES:
            return candidate.strip().upper()
    return UNKNOWN_COUNTRY


def _rate_limit(source_ip: str | None, anonymous_id: str) -> None:
    settings = get_settings()
    window = settings.analytics_rate_window_seconds
    now = clock.epoch(clock.now())
    start = now // window * window
    source = f"ip#{_digest(source_ip)}" if source_ip else f"anon#{_digest(anonymous_id)}"
    if not repository.get().hit_window(
        f"events#{source}",
        window_start=start,
        limit=settings.analytics_rate_limit,
        expires_at=start + window + 60,
    ):
        retry_after = max(1, start + window - now)
        raise RateLimitedError(
            "Too many event batches; try again later",
            retry_after=retry_after,
            details={"retry_after_seconds": retry_after, "limit": settings.analytics_rate_limit},
        )


def collect(
    body: EventBatchRequest,
    *,
    caller: Caller | None,
    user_agent: str | None,
    viewer_country: str | None,
    source_ip: str | None,
) -> Collected:
    """Queue a client's batch for the lake and the aggregates; a crawler's is dropped.

    Raises EventBatchRejectedError (every problem named) for too many events or a time
    outside the tolerance, RateLimitedError past the source's budget.
    """
    settings = get_settings()
    now = clock.now()
    problems = []
    if len(body.events) > settings.analytics_max_events:
        problems.append(
            {
                "field": "events",
                "message": f"at most {settings.analytics_max_events} events a batch",
                "type": "too_many_events",
            }
        )
    latest = now + timedelta(seconds=settings.analytics_future_tolerance_seconds)
    earliest = now - timedelta(seconds=settings.analytics_past_tolerance_seconds)
    for index, event in enumerate(body.events):
        if event.at is None:
            continue
        if event.at.tzinfo is None:
            problems.append(
                {
                    "field": f"events.{index}.at",
                    "message": "needs a time zone",
                    "type": "naive_time",
                }
            )
        elif event.at > latest:
            problems.append(
                {
                    "field": f"events.{index}.at",
                    "message": "is in the future beyond the "
                    f"{settings.analytics_future_tolerance_seconds} s tolerance",
                    "type": "future_time",
                }
            )
        elif event.at < earliest:
            problems.append(
                {
                    "field": f"events.{index}.at",
                    "message": "is older than the "
                    f"{settings.analytics_past_tolerance_seconds} s the collector accepts",
                    "type": "stale_time",
                }
            )
    if problems:
        raise EventBatchRejectedError(
            "The event batch was refused; nothing of it was kept", details=problems
        )
    _rate_limit(source_ip, body.anonymous_id)
    device = devices.parse(user_agent)
    if device.type is DeviceType.BOT:
        logger.info("Dropped a crawler's event batch", extra={"browser": device.browser})
        return Collected(batch_id=None, accepted=0, dropped=len(body.events))
    country = country_of(viewer_country, body.country)
    user_id = caller.account_id if caller else None
    batch_id = new_id()
    facts = tuple(
        Fact(
            kind=FactKind(event.type),
            at=(event.at or now).astimezone(now.tzinfo),
            received_at=now,
            source="client",
            visitor=user_id or body.anonymous_id,
            session_id=body.session_id,
            user_id=user_id,
            product_id=getattr(event, "product_id", None),
            shop_id=getattr(event, "shop_id", None),
            query=getattr(event, "query", None),
            results=getattr(event, "results", None),
            quantity=getattr(event, "quantity", 1),
            device=device,
            country=country,
        )
        for event in body.events
    )
    batch = FactBatch(batch_id=batch_id, received_at=now, facts=facts)
    repository.queue().send(json.dumps(lines.batch_to_message(batch), separators=(",", ":")))
    return Collected(batch_id=batch_id, accepted=len(facts), dropped=0)
