"""Email through SES: one MIME message (text + HTML alternatives) from the verified sender.

Capabilities render their own content and send it here (``SendRawEmail`` from the sender
identity ``MailSenderIdentity`` in the template).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import aws
from chalicelib.core.errors import DependencyUnavailableError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings


@dataclass(frozen=True)
class Email:
    """A rendered email, ready to send."""

    to: str
    subject: str
    text: str
    html: str


def to_mime(email: Email) -> bytes:
    """The email as a multipart/alternative MIME message."""
    settings = get_settings()
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = formataddr((settings.mail_sender_name, settings.mail_sender))
    message["To"] = email.to
    message["Message-ID"] = make_msgid(domain=settings.mail_sender.rsplit("@", 1)[-1])
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message.as_bytes()


def send(email: Email) -> str:
    """Send through SES; returns the SES message id. DependencyUnavailableError if SES fails."""
    settings = get_settings()
    try:
        result = aws.client("ses").send_raw_email(
            Source=settings.mail_sender,
            Destinations=[email.to],
            RawMessage={"Data": to_mime(email)},
        )
    except (BotoCoreError, ClientError) as error:
        logger.error("SES refused an email", extra={"error": type(error).__name__})
        raise DependencyUnavailableError("Could not send email; try again shortly") from None
    message_id = str(result["MessageId"])
    logger.info("Email sent", extra={"subject": email.subject, "message_id": message_id})
    return message_id
