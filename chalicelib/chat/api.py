"""Chat routes (REST) and WebSocket actions (``chat.send``, ``chat.typing``, ``chat.read``,
``chat.resume``). Thin: parse, call one use case, render. The protocol: docs/realtime.md."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.chat import service
from chalicelib.chat.schemas import (
    ConversationPage,
    ConversationView,
    ImageUploadRequest,
    InboxView,
    MessagePage,
    MessageView,
    ReadAction,
    ReportRequest,
    ResumeAction,
    SendAction,
    StartConversation,
    TypingAction,
    UploadGrantView,
)
from chalicelib.core.caller import Caller
from chalicelib.core.validation import RequestModel, validate_model
from chalicelib.realtime import service as realtime
from chalicelib.realtime.service import ClientMessage
from chalicelib.web.access import SIGNED_IN, roles
from chalicelib.web.routing import PAGE_QUERY, api_route, page_of

bp = Blueprint(__name__)
TAGS = ["chat"]


def _view(
    attendance: service.Attendance, caller: Caller, *, presence: bool = False
) -> ConversationView:
    return ConversationView.of(
        attendance.conversation,
        attendance.side,
        viewer_id=caller.account_id,
        participants=service.presence_of(attendance) if presence else None,
        admin=caller.is_admin,
    )


@api_route(
    bp,
    "/conversations",
    methods=["POST"],
    summary="Start a conversation with a shop (or get the one that exists)",
    tags=TAGS,
    request_model=StartConversation,
    response_model=ConversationView,
    access=roles("user", "seller"),
    errors=[404],
)
def start_conversation(body: StartConversation, caller: Caller) -> ConversationView:
    attendance = service.start(caller, body.shop_id, body.product_id, body.order_id)
    return _view(attendance, caller, presence=True)


@api_route(
    bp,
    "/conversations",
    summary="Your inbox (a seller: the shop's), newest activity first, with unread counts",
    tags=TAGS,
    response_model=InboxView,
    access=roles("user", "seller"),
    query=PAGE_QUERY,
    errors=[400, 404],
)
def inbox(caller: Caller) -> InboxView:
    limit, cursor = page_of(bp)
    side, page, total = service.inbox(caller, limit=limit, cursor=cursor)
    return InboxView(
        side=side.value,
        items=[ConversationView.of(c, side, viewer_id=caller.account_id) for c in page.items],
        next_cursor=page.next_cursor,
        unread_total=total,
    )


@api_route(
    bp,
    "/conversations/{conversation_id}",
    summary="One conversation, with the participants' presence",
    tags=TAGS,
    response_model=ConversationView,
    access=SIGNED_IN,
    errors=[404],
)
def get_conversation(conversation_id: str, caller: Caller) -> ConversationView:
    attendance = service.attend(caller.account_id, conversation_id, admin=caller.is_admin)
    return _view(attendance, caller, presence=True)


@api_route(
    bp,
    "/conversations/{conversation_id}/messages",
    summary="A conversation's messages, newest first",
    tags=TAGS,
    response_model=MessagePage,
    access=SIGNED_IN,
    query=PAGE_QUERY,
    errors=[400, 404],
)
def get_messages(conversation_id: str, caller: Caller) -> MessagePage:
    limit, cursor = page_of(bp)
    page = service.history(caller, conversation_id, limit=limit, cursor=cursor)
    return MessagePage(
        items=[MessageView.of(message) for message in page.items], next_cursor=page.next_cursor
    )


@api_route(
    bp,
    "/conversations/{conversation_id}/images",
    methods=["POST"],
    summary="Upload an image to send (a pre-signed POST; then chat.send with its image_id)",
    tags=TAGS,
    request_model=ImageUploadRequest,
    response_model=UploadGrantView,
    access=roles("user", "seller"),
    status=201,
    errors=[404, 409],
)
def request_image(
    conversation_id: str, body: ImageUploadRequest, caller: Caller
) -> UploadGrantView:
    grant = service.request_image_upload(caller, conversation_id, body.content_type, body.size)
    return UploadGrantView.model_validate(grant, from_attributes=True)


@api_route(
    bp,
    "/conversations/{conversation_id}/block",
    methods=["PUT"],
    summary="Block the conversation (no message goes either way)",
    tags=TAGS,
    response_model=ConversationView,
    access=roles("user", "seller"),
    errors=[404],
)
def block(conversation_id: str, caller: Caller) -> ConversationView:
    return _view(service.block(caller, conversation_id), caller)


@api_route(
    bp,
    "/conversations/{conversation_id}/block",
    methods=["DELETE"],
    summary="Lift your block",
    tags=TAGS,
    response_model=ConversationView,
    access=roles("user", "seller"),
    errors=[404, 409],
)
def unblock(conversation_id: str, caller: Caller) -> ConversationView:
    return _view(service.unblock(caller, conversation_id), caller)


@api_route(
    bp,
    "/conversations/{conversation_id}/report",
    methods=["POST"],
    summary="Report the conversation to the admins",
    tags=TAGS,
    request_model=ReportRequest,
    response_model=ConversationView,
    access=roles("user", "seller"),
    errors=[404],
)
def report(conversation_id: str, body: ReportRequest, caller: Caller) -> ConversationView:
    return _view(service.report(caller, conversation_id, body.reason), caller)


@api_route(
    bp,
    "/admin/conversations/reported",
    summary="Reported conversations, most recent report first",
    tags=TAGS,
    response_model=ConversationPage,
    access=roles("admin"),
    query=PAGE_QUERY,
    errors=[400],
)
def reported(caller: Caller) -> ConversationPage:
    limit, cursor = page_of(bp)
    page = service.reported(limit=limit, cursor=cursor)
    return ConversationPage(
        items=[
            ConversationView.of(c, None, viewer_id=caller.account_id, admin=True)
            for c in page.items
        ],
        next_cursor=page.next_cursor,
    )


# ---------- WebSocket actions ----------
def _action(model: type[Any], message: ClientMessage) -> Any:
    fields = {k: v for k, v in message.payload.items() if k not in ("action", "request_id")}
    parsed: RequestModel = validate_model(model, fields)
    return parsed


def _request(message: ClientMessage) -> dict[str, Any]:
    request_id = message.payload.get("request_id")
    return {"request_id": request_id} if isinstance(request_id, str) else {}


def on_send(message: ClientMessage) -> None:
    body: SendAction = _action(SendAction, message)
    sent = service.send(
        message.account_id,
        body.conversation_id,
        client_message_id=body.client_message_id,
        text=body.text,
        image_id=body.image_id,
        connection_id=message.connection_id,
    )
    realtime.send(
        message.connection_id,
        {
            "type": "chat.sent",
            "client_message_id": body.client_message_id,
            "duplicate": sent.duplicate,
            "message": MessageView.of(sent.message).model_dump(mode="json"),
            **_request(message),
        },
    )


def on_typing(message: ClientMessage) -> None:
    body: TypingAction = _action(TypingAction, message)
    service.typing(
        message.account_id, body.conversation_id, body.typing, connection_id=message.connection_id
    )


def on_read(message: ClientMessage) -> None:
    body: ReadAction = _action(ReadAction, message)
    service.read(message.account_id, body.conversation_id, body.up_to_message_id)


def on_resume(message: ClientMessage) -> None:
    body: ResumeAction = _action(ResumeAction, message)
    resumed = service.resume(message.account_id, message.connection_id, body.cursors, body.since)
    realtime.send(
        message.connection_id,
        {
            "type": "chat.resumed",
            "cursors": resumed.cursors,
            "replayed": resumed.replayed,
            "more": resumed.more,
            **_request(message),
        },
    )


realtime.register_action("chat.send", on_send)
realtime.register_action("chat.typing", on_typing)
realtime.register_action("chat.read", on_read)
realtime.register_action("chat.resume", on_resume)
