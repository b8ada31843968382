"""Notification emails: rendered from the text + HTML templates in ``templates/`` (as
identity's are) and sent through ``chalicelib.core.mail`` (SES)."""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from string import Template

from chalicelib.core import mail
from chalicelib.core.settings import get_settings
from chalicelib.notifications.domain import Notification


@cache
def _template(name: str) -> Template:
    path = resources.files("chalicelib.notifications").joinpath("templates", name)
    return Template(path.read_text("utf-8"))


def _render(
    template: str, *, to: str, subject: str, html_values: dict[str, str], **values: str
) -> mail.Email:
    """``templates/<template>.txt`` and ``.html`` in the layout; ``values`` are escaped in
    HTML, ``html_values`` are already HTML."""
    app_name = get_settings().mail_sender_name
    context = {"app_name": app_name, "subject": subject, **values}
    text = _template(f"{template}.txt").substitute(context)
    escaped = {key: html.escape(value) for key, value in context.items()}
    content = _template(f"{template}.html").substitute({**escaped, **html_values})
    page = _template("layout.html").substitute({**escaped, "content": content})
    return mail.Email(to=to, subject=subject, text=text, html=page)


def notification_email(notification: Notification, *, to: str) -> mail.Email:
    app_name = get_settings().mail_sender_name
    return _render(
        "notification",
        to=to,
        subject=f"{app_name}: {notification.title}",
        html_values={},
        title=notification.title,
        message=notification.message,
        link=notification.link or "",
    )


def chat_digest_email(notifications: list[Notification], *, to: str) -> mail.Email:
    app_name = get_settings().mail_sender_name
    count = len(notifications)
    noun = "message" if count == 1 else "messages"
    lines = "\n".join(f"- {n.title}: {n.message}" for n in notifications)
    items = "".join(
        f"<li><strong>{html.escape(n.title)}</strong>: {html.escape(n.message)}</li>"
        for n in notifications
    )
    return _render(
        "chat_digest",
        to=to,
        subject=f"{app_name}: {count} unread chat {noun}",
        html_values={"items": items},
        count=str(count),
        noun=noun,
        lines=lines,
    )


def send_notification(notification: Notification, *, to: str) -> str:
    """Email one notification; the SES message id. DependencyUnavailableError if SES fails."""
    return mail.send(notification_email(notification, to=to))


def send_chat_digest(notifications: list[Notification], *, to: str) -> str:
    """Email one digest of chat notifications; the SES message id."""
    return mail.send(chat_digest_email(notifications, to=to))
