"""Client-log routes (``POST /logs``, the admins' download) and the WebSocket actions of
the live stream (``logs.subscribe``, ``logs.unsubscribe``)."""

from __future__ import annotations

from typing import Any, Protocol

from chalice import Blueprint, Response

from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import BadRequestError
from chalicelib.logs import service
from chalicelib.logs.schemas import LogBatchAccepted, LogBatchIn
from chalicelib.realtime import service as realtime
from chalicelib.web.access import PUBLIC, caller_of
from chalicelib.web.routing import QueryParam, api_route, query_of

bp = Blueprint(__name__)
TAGS = ["logs"]


@api_route(
    bp,
    "/logs",
    methods=["POST"],
    summary="Send a batch of client log entries (anonymous, or signed in with a bearer token)",
    tags=TAGS,
    request_model=LogBatchIn,
    response_model=LogBatchAccepted,
    status=202,
    access=PUBLIC,
    errors=[401, 429, 503],
)
def post_logs(body: LogBatchIn) -> LogBatchAccepted:
    request = bp.current_request
    caller: Caller | None = None
    if request is not None and request.headers.get("authorization"):
        caller = caller_of(request)  # a token sent must be valid (401 otherwise)
    identity = (request.context.get("identity") or {}) if request is not None else {}
    batch_id = service.ingest(body.entries, caller=caller, source_ip=identity.get("sourceIp"))
    return LogBatchAccepted(batch_id=batch_id, accepted=len(body.entries))


def _query(name: str) -> str | None:
    return query_of(bp).get(name) or None


def _time(name: str) -> Any:
    raw = _query(name)
    if raw is None:
        raise BadRequestError(f"{name} is required (ISO 8601 date-time)")
    try:
        return clock.parse(raw)
    except ValueError:
        raise BadRequestError(f"{name} must be an ISO 8601 date-time") from None


@api_route(
    bp,
    "/admin/logs",
    summary="Download client logs received in a time range (NDJSON, or CSV with format=csv)",
    tags=TAGS,
    access="admin",
    content_type="application/x-ndjson",
    query=(
        QueryParam("from", "Received at or after (ISO 8601)", required=True),
        QueryParam("to", "Received at or before (ISO 8601)", required=True),
        QueryParam("level", "Only these levels, comma-separated (success,error,...)"),
        QueryParam(
            "format",
            "ndjson (default) or csv",
            schema={"type": "string", "enum": ["ndjson", "csv"]},
        ),
    ),
    errors=[400],
)
def download_logs(caller: Caller) -> Response:
    since, until = _time("from"), _time("to")
    fmt = _query("format") or "ndjson"
    if fmt not in ("ndjson", "csv"):
        raise BadRequestError("format must be ndjson or csv")
    level = _query("level")
    levels = service.parse_levels(level.split(",")) if level else None
    body, truncated = service.download(since, until, levels=levels, fmt=fmt)  # type: ignore[arg-type]
    extension = "csv" if fmt == "csv" else "ndjson"
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson",
            "Content-Disposition": f'attachment; filename="client-logs.{extension}"',
            "X-Truncated": "true" if truncated else "false",
        },
    )


# ---------- WebSocket actions ----------
class Frame(Protocol):
    """What realtime hands an action handler: the sender's connection and its frame."""

    @property
    def connection_id(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def account_id(self) -> str | None: ...

    @property
    def role(self) -> Role | None: ...


def on_subscribe(message: Frame) -> None:
    levels = message.payload.get("levels")
    if levels is not None and not (
        isinstance(levels, list) and all(isinstance(level, str) for level in levels)
    ):
        raise BadRequestError('"levels" must be a list of level names')
    subscriber = service.subscribe(
        message.connection_id,
        account_id=message.account_id,
        role=message.role,
        levels=service.parse_levels(levels),
    )
    realtime.send(
        message.connection_id,
        {"type": "logs.subscribed", "levels": sorted(str(level) for level in subscriber.levels)},
    )


def on_unsubscribe(message: Frame) -> None:
    service.unsubscribe(message.connection_id)
    realtime.send(message.connection_id, {"type": "logs.unsubscribed"})


realtime.register_action("logs.subscribe", on_subscribe)
realtime.register_action("logs.unsubscribe", on_unsubscribe)
