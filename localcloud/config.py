"""Settings of the local cloud itself (ports, clock), from ``LOCALCLOUD_*`` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LocalCloudConfig(BaseSettings):
    """Where the local cloud listens and how it runs."""

    model_config = SettingsConfigDict(env_prefix="LOCALCLOUD_", extra="ignore")

    host: str = "127.0.0.1"
    aws_port: int = Field(default=4566, ge=0, le=65535)
    rest_port: int = Field(default=8000, ge=0, le=65535)
    ws_port: int = Field(default=8001, ge=0, le=65535)
    stack_name: str = "bazaar-local"
    stage: str = "local"
    api_stage: str = "api"
    region: str = "us-east-1"
    # Multiplies every Step Functions Retry/Wait interval: 1.0 is real time; tests use ~0.01.
    time_scale: float = Field(default=1.0, ge=0.0, le=1.0)
    # When true, a failed SQS record is visible again at once instead of after the
    # queue's VisibilityTimeout (tests; the receive count and DLQ redrive still apply).
    fast_retry: bool = False
    # Seconds an SQS poller long-polls before checking for shutdown.
    poll_wait_seconds: int = Field(default=1, ge=0, le=20)
    seed: bool = False
    # With seed: false seeds the demo accounts, catalog and cart only (no analytics history,
    # recommendations lake or demo purchase); the API fuzz test's cloud.
    seed_history: bool = True
    # Template parameter overrides, as JSON (what `sam deploy --parameter-overrides` does),
    # e.g. LOCALCLOUD_PARAMETERS='{"StripeApiKey": "sk_test_..."}'. Stage comes from `stage`.
    parameters: dict[str, str] = Field(default_factory=dict)
