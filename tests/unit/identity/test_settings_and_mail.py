"""Identity settings guards, email rendering, and the local mailbox's parsing."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest
from pydantic import ValidationError

from chalicelib.core import mail
from chalicelib.core.errors import NotFoundError
from chalicelib.core.settings import Settings
from chalicelib.dev import mailbox
from chalicelib.identity import mailer


def test_a_deployed_function_refuses_the_local_signing_key() -> None:
    with pytest.raises(ValidationError, match="BAZAAR_JWT_SECRET_ARN"):
        Settings(stage="prod", AWS_LAMBDA_FUNCTION_NAME="bazaar-api")  # type: ignore[call-arg]


def test_a_deployed_function_accepts_a_secret_arn_or_its_own_key() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bazaar/jwt-AbCdEf"
    with_arn = Settings(stage="prod", AWS_LAMBDA_FUNCTION_NAME="f", jwt_secret_arn=arn)  # type: ignore[call-arg]
    assert with_arn.jwt_secret_arn == arn
    own = Settings(stage="prod", AWS_LAMBDA_FUNCTION_NAME="f", jwt_secret="k" * 48)  # type: ignore[call-arg]
    assert own.jwt_secret.get_secret_value() == "k" * 48


def test_short_signing_keys_are_refused_everywhere() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(stage="local", jwt_secret="short")  # type: ignore[call-arg]


def test_the_algorithm_is_pinned() -> None:
    with pytest.raises(ValidationError):
        Settings(jwt_algorithm="none")  # type: ignore[call-arg]


def test_local_and_test_stages_use_the_built_in_key() -> None:
    assert Settings(stage="local").jwt_secret_arn is None  # type: ignore[call-arg]


def test_rendered_email_escapes_html_and_keeps_both_parts() -> None:
    rendered = mailer.render("verify_email", to="a@shop.example.com", code="<b>1</b>", minutes="10")
    assert "<b>1</b>" in rendered.text
    assert "&lt;b&gt;1&lt;/b&gt;" in rendered.html
    assert "<b>1</b>" not in rendered.html
    message = email.message_from_bytes(mail.to_mime(rendered), policy=default_policy)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["To"] == "a@shop.example.com"
    assert message["From"] == "Bazaar <no-reply@bazaar.example.com>"


def raw_message(to: str, code: str) -> dict[str, object]:
    rendered = mailer.render("reset_password", to=to, code=code, minutes="10")
    return {
        "id": f"id-{code}",
        "source": "no-reply@bazaar.example.com",
        "destinations": [to],
        "raw_data": mail.to_mime(rendered).decode(),
    }


def test_mailbox_finds_messages_per_recipient_newest_first() -> None:
    data = {
        "RawMessage": [
            raw_message("Ann@Shop.example.com", "111111"),
            raw_message("bob@shop.example.com", "222222"),
            raw_message("ann@shop.example.com", "333333"),
        ],
        "Message": [
            {
                "id": "plain",
                "source": "x@shop.example.com",
                "subject": "Hi",
                "body": "<p>code 444444</p>",
                "destinations": {"ToAddresses": ["ann@shop.example.com"]},
            }
        ],
    }
    found = mailbox.messages_for("ANN@shop.example.com", data)
    assert [message["code"] for message in found] == ["333333", "111111", "444444"]
    assert found[0]["subject"] == "Your Bazaar password reset code"
    assert found[0]["to"] == ["ann@shop.example.com"]
    assert mailbox.messages_for("nobody@shop.example.com", data) == []


def test_mailbox_does_not_exist_outside_local_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.core.settings import reset_settings

    monkeypatch.setenv("BAZAAR_STAGE", "prod")
    reset_settings()
    with pytest.raises(NotFoundError):
        mailbox.messages_for("ann@shop.example.com", {"RawMessage": [], "Message": []})
