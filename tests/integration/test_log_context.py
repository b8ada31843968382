"""Every invocation starts from a clean log context (issue 10, finding 10).

The local cloud runs every function in one process with one Powertools ``Logger``; on AWS a
warm container also keeps the logger between invocations. A key one invocation appends (the
saga's ``checkout_id``/``step``) must not reach the next invocation's log lines.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from chalice.test import Client

import functions
from chalicelib.core.observability import logger
from localcloud.deploy import Deployment
from tests.integration.test_routing import build_app


class Context:
    """The fields of a Lambda context that Powertools reads."""

    function_name = "test-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    memory_limit_in_mb = 256
    aws_request_id = "req-1"
    log_group_name = "/aws/lambda/test-function"
    log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@contextmanager
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """Powertools' JSON log lines written meanwhile, as its own formatter writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(handler)
    level = logger._logger.level
    logger.setLevel(logging.INFO)  # the suite runs at WARNING (tests/conftest.py)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        logger.setLevel(level)
        logger._logger.removeHandler(handler)
        lines += [json.loads(line) for line in stream.getvalue().splitlines() if line]


def handler_modules() -> list[str]:
    return sorted(f"functions.{m.name}" for m in pkgutil.iter_modules(functions.__path__))


def test_an_api_request_line_has_no_key_a_previous_invocation_appended() -> None:
    # Given a saga step that ran before in the same process and appended its keys
    logger.append_keys(checkout_id="co-1", step="reserve", function_name="event-archive")
    try:
        # When an API request is served
        with log_lines() as lines, Client(build_app()) as client:
            assert client.http.get("/things/lamp").status_code == 200
    finally:
        logger.clear_state()
    # Then its request line carries none of them; the API's own context is there
    request_lines = [line for line in lines if line.get("message") == "request"]
    assert len(request_lines) == 1
    line = request_lines[0]
    assert "checkout_id" not in line
    assert "step" not in line
    assert line.get("function_name") != "event-archive"
    assert line["path"] == "/things/{name}"


@pytest.mark.parametrize("module_name", handler_modules())
def test_every_function_starts_from_a_clean_log_context(
    aws_env: Deployment, module_name: str
) -> None:
    # Given a key left by an earlier invocation in the same container
    module = importlib.import_module(module_name)
    logger.append_keys(leftover_from_last_invocation="co-1")
    try:
        with log_lines() as lines:
            # When the function is invoked (an empty event: most refuse it, which is fine
            # here; the log context is set up before the handler body runs)
            with contextlib.suppress(Exception):
                module.handler({}, Context())
            keys = logger.get_current_keys()
            logger.info("a line of that invocation")
    finally:
        logger.clear_state()
    # Then the leftover key is gone and the function's own context is in place
    assert "leftover_from_last_invocation" not in keys
    assert keys["function_name"] == "test-function"
    assert lines
    assert all("leftover_from_last_invocation" not in line for line in lines)
    assert all("leftover_from_last_invocation" not in line for line in lines)
