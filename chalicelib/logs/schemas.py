"""Request and response bodies of the client-log routes, and the queued batch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core.validation import RequestModel, ResponseModel
from chalicelib.logs.domain import Level


class LogEntryIn(RequestModel):
    """One log line. Limits (settings): message ≤ 2,000 characters, context ≤ 4 KB as JSON."""

    level: Level
    message: str = Field(min_length=1, max_length=10_000)
    context: dict[str, Any] = Field(default_factory=dict)
    client_time: datetime | None = Field(default=None, description="When the client logged it")
    app_version: str | None = Field(default=None, max_length=40)


class LogBatchIn(RequestModel):
    """Up to 50 entries (setting ``log_batch_max_entries``) per request."""

    entries: list[LogEntryIn] = Field(min_length=1, max_length=500)


class LogBatchAccepted(ResponseModel):
    batch_id: str
    accepted: int


class QueuedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Level
    message: str
    context: dict[str, Any] = Field(default_factory=dict)
    client_time: datetime | None = None
    app_version: str | None = None


class QueuedBatch(BaseModel):
    """A received batch on its way through the client-logs queue."""

    model_config = ConfigDict(extra="forbid")

    batch_id: str
    received_at: datetime
    account_id: str | None = None
    source_ip: str | None = None
    entries: list[QueuedEntry]
