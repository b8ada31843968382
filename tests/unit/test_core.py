"""Core helpers: settings, pagination cursors, validation, error mapping."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.core import errors
from chalicelib.core.pagination import decode_cursor, encode_cursor, page_limit
from chalicelib.core.settings import Settings
from chalicelib.core.validation import RequestModel, parse_body
from chalicelib.web.http import STATUS_BY_ERROR, status_for


class Item(RequestModel):
    name: str
    quantity: int


def test_cursor_round_trips_and_rejects_tampering() -> None:
    key = {"pk": {"S": "shop#1"}, "sk": {"S": "product#9"}}
    cursor = encode_cursor(key)
    assert cursor is not None
    assert decode_cursor(cursor) == key
    assert encode_cursor(None) is None
    assert decode_cursor(None) is None
    token, _, check = cursor.partition(".")
    with pytest.raises(errors.BadRequestError):
        decode_cursor(token[:-2] + "AA." + check)
    with pytest.raises(errors.BadRequestError):
        decode_cursor("%%%")


@pytest.mark.parametrize(("raw", "expected"), [(None, 20), ("", 20), ("1", 1), ("100", 100)])
def test_page_limit_defaults_and_bounds(raw: str | None, expected: int) -> None:
    assert page_limit(raw) == expected


@pytest.mark.parametrize("raw", ["0", "101", "-1", "ten"])
def test_page_limit_refuses_out_of_range(raw: str) -> None:
    with pytest.raises(errors.BadRequestError):
        page_limit(raw)


def test_settings_refuse_a_bad_endpoint_and_unknown_stage() -> None:
    with pytest.raises(ValidationError):
        Settings(aws_endpoint_url="localhost:4566")
    with pytest.raises(ValidationError):
        Settings(stage="moon")  # type: ignore[arg-type]
    assert (
        Settings(aws_endpoint_url="http://127.0.0.1:4566/").aws_endpoint_url
        == "http://127.0.0.1:4566"
    )


def test_parse_body_names_the_bad_fields() -> None:
    with pytest.raises(errors.BadRequestError):
        parse_body(Item, b"{not json")
    with pytest.raises(errors.BadRequestError):
        parse_body(Item, b"")
    with pytest.raises(errors.ValidationFailedError) as wrong:
        parse_body(Item, b'{"name": "a", "quantity": "lots", "colour": "red"}')
    fields = {detail["field"] for detail in wrong.value.details}
    assert fields == {"quantity", "colour"}
    with pytest.raises(errors.ValidationFailedError):
        parse_body(Item, b"[1, 2]")
    assert parse_body(Item, b'{"name": " a ", "quantity": 2}') == Item(name="a", quantity=2)


def test_every_domain_error_has_a_4xx_or_503_status() -> None:
    for error_type in errors.DomainError.__subclasses__():
        status = status_for(
            error_type("x")
            if error_type is not errors.RateLimitedError
            else error_type("x", retry_after=1)
        )
        assert 400 <= status < 500 or status == 503, error_type
    assert set(STATUS_BY_ERROR) == set(errors.DomainError.__subclasses__())


def test_json_depth_counts_only_brackets_outside_strings() -> None:
    from chalicelib.core.validation import json_depth_exceeds

    # Given brackets inside strings, with escaped quotes and backslashes around them
    tricky = r'{"a": "[[[\"{{{\\", "b": [["x]]]"]]}'
    # Then only the real nesting (object, array, array = 3) counts
    assert not json_depth_exceeds(tricky, 3)
    assert json_depth_exceeds(tricky, 2)
    assert json_depth_exceeds("[" * 40, 32)  # counted even when the JSON is unfinished
    assert not json_depth_exceeds('"' + "[" * 40, 32)  # an unterminated string is not nesting


def test_a_cursor_of_deeply_nested_json_is_a_bad_request_not_a_crash() -> None:
    import base64

    # Given a cursor whose payload is 1,000 nested arrays (issue 10 #2: nested JSON anywhere)
    payload = b"[" * 1000 + b"]" * 1000
    cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=") + ".x"
    # Then it is refused as an invalid cursor (400), never a RecursionError (500)
    with pytest.raises(errors.BadRequestError):
        decode_cursor(cursor)


def test_settings_come_from_the_environment_by_name_alias_and_json() -> None:
    # Given an environment naming fields by prefix (any case), by alias and as JSON
    environ = {
        "bazaar_stage": "dev",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "BAZAAR_CART_MAX_LINES": "7",
        "BAZAAR_RATE_LIMIT_LOGIN": '{"per_email": 3, "per_ip": 9, "window_seconds": 60}',
        "UNRELATED": "x",
    }
    # When the settings are read from it
    settings = Settings.from_environment(environ)
    # Then each value is validated into its field
    assert settings.stage == "dev"
    assert settings.aws_region == "eu-west-1"
    assert settings.cart_max_lines == 7
    assert settings.rate_limit_login.per_ip == 9


def test_settings_from_a_bad_environment_say_which_variable() -> None:
    with pytest.raises(ValueError, match="BAZAAR_RATE_LIMIT_LOGIN must be a JSON object"):
        Settings.from_environment({"BAZAAR_RATE_LIMIT_LOGIN": "ten"})
    with pytest.raises(ValidationError, match="cart_max_lines"):
        Settings.from_environment({"BAZAAR_CART_MAX_LINES": "lots"})
