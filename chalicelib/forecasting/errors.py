"""Forecasting's failures."""

from __future__ import annotations

from chalicelib.core.errors import DependencyUnavailableError, NotFoundError, ValidationFailedError


class UploadRejectedError(ValidationFailedError):
    """A sales CSV with at least one bad row: nothing of it is stored (details per row)."""


class UploadNotFoundError(NotFoundError):
    """No such upload in the caller's shop."""


class ModelUnavailableError(DependencyUnavailableError):
    """The forecast model cannot be loaded from the models bucket (503)."""
