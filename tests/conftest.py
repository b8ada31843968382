"""Shared fixtures. The environment is set here, before any chalicelib import."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator

import botocore.loaders
import botocore.session
import pytest

os.environ.update(
    {
        "BAZAAR_STAGE": "test",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Bazaar",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        # Downloaded models are this test process's own, like a Lambda container's /tmp
        # (a local cloud or another test process never shares the directory).
        "BAZAAR_MODEL_CACHE_DIR": tempfile.mkdtemp(prefix="bazaar-test-models-"),
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

# The same DynamoDB isolation fixes the local cloud runs with (see localcloud/dynamodb.py).
from localcloud import dynamodb

dynamodb.install()
atexit.register(shutil.rmtree, os.environ["BAZAAR_MODEL_CACHE_DIR"], ignore_errors=True)

# botocore parses each service's JSON model once per botocore session, and every test makes
# new sessions (reset_app_state drops chalicelib's clients; each pynamodb connection has a
# session of its own). One loader for this process: each model is parsed once (test speed
# only; the loader caches files botocore ships, read-only).
botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)

pytest_plugins = ["tests.fixtures.aws", "tests.fixtures.cloud"]


@pytest.fixture(autouse=True)
def _settings_follow_the_environment() -> Iterator[None]:
    """Forget the cached settings after each test, once monkeypatch has put the environment
    back: aws_env's teardown reads settings (rebinding tables) before the undo, so without
    this a test's variables (a Stripe key) stayed cached for the next test in the process."""
    yield
    from chalicelib.core.settings import reset_settings

    reset_settings()
