"""Notification routes: the caller's own notifications and preferences (signed in)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.core.caller import Caller
from chalicelib.core.errors import BadRequestError
from chalicelib.notifications.schemas import (
    MarkedRead,
    NotificationPage,
    NotificationView,
    PreferencesUpdate,
    PreferencesView,
    UnreadCount,
)
from chalicelib.notifications.service import inbox
from chalicelib.web.access import SIGNED_IN
from chalicelib.web.routing import PAGE_QUERY, QueryParam, api_route, page_of, query_of

bp = Blueprint(__name__)
TAGS = ["notifications"]
LIST_QUERY = (
    *PAGE_QUERY,
    QueryParam(
        "unread",
        "Only unread notifications",
        schema={"type": "string", "enum": ["true", "false"]},
    ),
)


def _query(name: str) -> str | None:
    return query_of(bp).get(name) or None


def _unread_only() -> bool:
    raw = _query("unread")
    if raw not in (None, "true", "false"):
        raise BadRequestError("unread must be true or false")
    return raw == "true"


@api_route(
    bp,
    "/notifications",
    summary="Your notifications, newest first (?unread=true for unread only)",
    tags=TAGS,
    response_model=NotificationPage,
    access=SIGNED_IN,
    query=LIST_QUERY,
    errors=[400],
)
def list_notifications(caller: Caller) -> NotificationPage:
    limit, cursor = page_of(bp)
    unread_only = _unread_only()
    return NotificationPage.of(
        inbox.list_mine(caller, unread_only=unread_only, limit=limit, cursor=cursor)
    )


@api_route(
    bp,
    "/notifications/unread-count",
    summary="How many of your notifications are unread",
    tags=TAGS,
    response_model=UnreadCount,
    access=SIGNED_IN,
)
def unread_count(caller: Caller) -> UnreadCount:
    count, capped = inbox.unread_count(caller)
    return UnreadCount(unread=count, capped=capped)


@api_route(
    bp,
    "/notifications/read-all",
    methods=["POST"],
    summary="Mark your unread notifications read (a bounded batch; more=true: call again)",
    tags=TAGS,
    response_model=MarkedRead,
    access=SIGNED_IN,
)
def mark_all_read(caller: Caller) -> MarkedRead:
    marked, more = inbox.mark_all_read(caller)
    return MarkedRead(marked=marked, more=more)


@api_route(
    bp,
    "/notifications/{notification_id}/read",
    methods=["POST"],
    summary="Mark one of your notifications read",
    tags=TAGS,
    response_model=NotificationView,
    access=SIGNED_IN,
    errors=[404],
)
def mark_read(notification_id: str, caller: Caller) -> NotificationView:
    return NotificationView.of(inbox.mark_read(caller, notification_id))


@api_route(
    bp,
    "/notifications/preferences",
    summary="Your channels per category (defaults where you chose nothing)",
    tags=TAGS,
    response_model=PreferencesView,
    access=SIGNED_IN,
)
def get_preferences(caller: Caller) -> PreferencesView:
    return PreferencesView.of(inbox.preferences(caller))


@api_route(
    bp,
    "/notifications/preferences",
    methods=["PUT"],
    summary="Change some of your channels per category (the rest stay)",
    tags=TAGS,
    request_model=PreferencesUpdate,
    response_model=PreferencesView,
    access=SIGNED_IN,
)
def put_preferences(body: PreferencesUpdate, caller: Caller) -> PreferencesView:
    return PreferencesView.of(inbox.update_preferences(caller, body.changes()))
