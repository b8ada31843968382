"""The one factory for AWS clients.

Clients are created lazily (never at import) and cached per thread-safe key, so tests can
start moto first. ``AWS_ENDPOINT_URL`` (moto, LocalStack) is honoured through settings.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.core.settings import get_settings

_lock = threading.Lock()
_clients: dict[tuple[str, str | None], Any] = {}
# One session: botocore parses each service's model once per session, so sharing it
# keeps every client after the first cheap.
_session: list[boto3.session.Session] = []
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30
)


def client(service: str, *, endpoint_url: str | None = None) -> Any:
    """A cached boto3 client for ``service`` aimed at the configured endpoint."""
    settings = get_settings()
    url = endpoint_url or settings.aws_endpoint_url
    key = (service, url)
    with _lock:
        found = _clients.get(key)
        if found is None:
            if not _session:
                _session.append(boto3.session.Session())
            found = _session[0].client(
                service, region_name=settings.aws_region, endpoint_url=url, config=_CONFIG
            )
            _clients[key] = found
        return found


def reset_clients() -> None:
    """Drop cached clients (tests that start a new moto between cases call this)."""
    with _lock:
        _clients.clear()
        _session.clear()
