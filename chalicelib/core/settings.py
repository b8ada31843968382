"""Typed settings, read from the environment once per container.

This is the only module that reads environment variables. Every value is validated at
cold start (``get_settings()`` is called by each entry point at import), so a
misconfigured Lambda fails on its first invocation with a clear message, not halfway
through a request.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Stage = Literal["local", "test", "dev", "staging", "prod"]


class Settings(BaseSettings):
    """Runtime configuration of one Bazaar container."""

    model_config = SettingsConfigDict(env_prefix="BAZAAR_", extra="ignore", frozen=True)

    stage: Stage = "local"
    service_name: str = "bazaar"
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")

    # Resource names; infra/template.yaml sets them on every function.
    connections_table: str = "bazaar-local-connections"
    event_archive_table: str = "bazaar-local-event-archive"
    idempotency_table: str = "bazaar-local-idempotency"
    event_bus_name: str = "bazaar"
    media_bucket: str = "bazaar-local-media"
    # Base URL of the API Gateway WebSocket management API (the "@connections" API):
    # https://{api-id}.execute-api.{region}.amazonaws.com/{stage} on AWS.
    websocket_management_url: str = "http://127.0.0.1:4566/local"

    max_body_bytes: int = Field(default=1_048_576, gt=0)
    page_size_default: int = Field(default=20, ge=1, le=100)
    page_size_max: int = Field(default=100, ge=1, le=1000)
    websocket_connection_ttl_seconds: int = Field(default=7200, gt=0)

    @field_validator("aws_endpoint_url")
    @classmethod
    def _endpoint_is_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("http://", "https://")):
            raise ValueError("AWS_ENDPOINT_URL must start with http:// or https://")
        return value.rstrip("/")

    @property
    def is_local(self) -> bool:
        """True when running against the local cloud (moto/LocalStack), never on AWS."""
        return self.stage in ("local", "test")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The container's settings; raises ``pydantic.ValidationError`` on bad configuration."""
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
