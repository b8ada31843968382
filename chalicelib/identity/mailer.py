"""Account emails: rendered from the text + HTML templates in ``templates/``, sent with SES.

Sending is ``chalicelib.core.mail``'s (SES, one MIME message with text and HTML).
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from string import Template

from chalicelib.core.mail import Email
from chalicelib.core.settings import get_settings

SUBJECTS = {
    "verify_email": "Your Bazaar verification code",
    "reset_password": "Your Bazaar password reset code",
    "account_exists": "You already have a Bazaar account",
}


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
