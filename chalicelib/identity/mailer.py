"""Account emails: rendered from the text + HTML templates in ``templates/``, sent with SES.

Each email goes out as one MIME message (text and HTML alternatives) through
``SendRawEmail`` from the verified sender identity (``MailSenderIdentity`` in the template).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from functools import cache
from importlib import resources
from string import Template

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import aws
from chalicelib.core.errors import DependencyUnavailableError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings

SUBJECTS = {
    "verify_email": "Your Bazaar verification code",
    "reset_password": "Your Bazaar password reset code",
    "account_exists": "You already have a Bazaar account",
}


@dataclass(frozen=True)
class Email:
    """A rendered email, ready to send."""

    to: str
    subject: str
    text: str
    html: str


@cache
def _template(name: str) -> Template:
    text = resources.files("chalicelib.identity").joinpath("templates", name).read_text("utf-8")
    return Template(text)


def render(template: str, *, to: str, **values: str) -> Email:
    """Render ``templates/<template>.txt`` and ``.html`` (HTML values are escaped)."""
    settings = get_settings()
    subject = SUBJECTS[template]
    context = {"app_name": settings.mail_sender_name, "subject": subject, **values}
    text = _template(f"{template}.txt").substitute(context)
    escaped = {key: html.escape(value) for key, value in context.items()}
    content = _template(f"{template}.html").substitute(escaped)
    page = _template("layout.html").substitute({**escaped, "content": content})
    return Email(to=to, subject=subject, text=text, html=page)


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
