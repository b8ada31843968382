"""The local mailbox: every email SES (moto) accepted, readable per recipient at
``GET /dev/mailbox?email=<address>``.

moto keeps sent messages in memory; the local cloud's AWS endpoint serves just SES's at
``GET {AWS_ENDPOINT_URL}/_localcloud/ses/messages`` (``{"RawMessage": [...], "Message":
[...]}``, see ``localcloud/ses.py``). ``app.py`` registers this blueprint on the local and
test stages only, and the reader refuses on any other stage too.
"""

from __future__ import annotations

import email
import json
import re
import urllib.request
from email.message import Message
from email.utils import getaddresses
from typing import Any

from chalice import Blueprint

from chalicelib.core.errors import DependencyUnavailableError, NotFoundError, ValidationFailedError
from chalicelib.core.settings import get_settings
from chalicelib.core.validation import ResponseModel
from chalicelib.web.routing import QueryParam, api_route, query_of

CODE = re.compile(r"\b(\d{6,10})\b")
bp = Blueprint(__name__)


class MailboxMessage(ResponseModel):
    id: str | None
    sender: str | None
    to: list[str]
    subject: str | None
    text: str | None
    html: str | None
    code: str | None


class MailboxResponse(ResponseModel):
    email: str
    messages: list[MailboxMessage]


def fetch_sent_messages() -> dict[str, Any]:
    """What SES accepted, from the local cloud at ``AWS_ENDPOINT_URL``."""
    endpoint = get_settings().aws_endpoint_url
    if not endpoint:
        raise DependencyUnavailableError(
            "The local mailbox reads the local cloud; AWS_ENDPOINT_URL is not set"
        )
    url = f"{endpoint}/_localcloud/ses/messages"
    try:
        # The endpoint is validated as http(s) by settings and is loopback locally.
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            data: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError) as error:
        raise DependencyUnavailableError(f"Could not read SES's messages: {error}") from None
    return data


def _part(message: Message, subtype: str) -> str | None:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}" and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset() or "utf-8"
                return payload.decode(charset, errors="replace")
    return None


def _recipients(values: Any) -> set[str]:
    if isinstance(values, dict):  # SendEmail: {"ToAddresses": [...], "CcAddresses": [...]}
        values = [address for group in values.values() for address in group]
    return {address.lower() for _, address in getaddresses([str(v) for v in values or []])}


def _raw(item: dict[str, Any]) -> dict[str, Any]:
    from email.policy import default as default_policy  # loads email's parsers: cold start

    message = email.message_from_string(str(item.get("raw_data", "")), policy=default_policy)
    text = _part(message, "plain")
    recipients = _recipients(item.get("destinations")) | _recipients(message.get_all("To", []))
    return {
        "id": item.get("id"),
        "sender": str(message.get("From", item.get("source", ""))),
        "to": sorted(recipients),
        "subject": str(message.get("Subject", "")),
        "text": text,
        "html": _part(message, "html"),
    }


def _simple(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item.get("id"),
        "sender": item.get("source"),
        "to": sorted(_recipients(item.get("destinations"))),
        "subject": item.get("subject"),
        "text": None,
        "html": item.get("body"),
    }


def messages_for(address: str, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Emails sent to ``address``, newest first, each with the first code found in it.

    ``data`` is what ``fetch_sent_messages`` returns (read now when not given).
    """
    if not get_settings().is_local:
        raise NotFoundError("No such route")
    data = fetch_sent_messages() if data is None else data
    # moto lists each kind in sending order; this app sends raw messages only.
    sent = [_raw(item) for item in reversed(data.get("RawMessage", []))]
    sent += [_simple(item) for item in reversed(data.get("Message", []))]
    wanted = address.strip().lower()
    found = [message for message in sent if wanted in message["to"]]
    for message in found:
        match = CODE.search(message["text"] or message["html"] or "")
        message["code"] = match.group(1) if match else None
    return found


@api_route(
    bp,
    "/dev/mailbox",
    summary="LOCAL ONLY: emails SES accepted for an address, newest first",
    tags=["dev"],
    response_model=MailboxResponse,
    query=[QueryParam("email", "The recipient", required=True)],
    errors=[400, 503],
)
def dev_mailbox() -> MailboxResponse:
    address = query_of(bp).get("email")
    if not address:
        raise ValidationFailedError(
            "email is required",
            details=[{"field": "email", "message": "required", "type": "missing"}],
        )
    return MailboxResponse(
        email=address.lower(),
        messages=[MailboxMessage(**message) for message in messages_for(address)],
    )
