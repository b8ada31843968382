"""The served forecast model: the version the retraining workflow named current
(``model_store.current_version``) when there is one, else the shipped version
(``forecast_model_version``).

Loaded through ``core.model_store`` and kept per container (``model_store.Published``);
the pointer is read again at most every ``RECHECK_SECONDS`` (the manifest only when a new
version is loaded), so a newly published version is served without a restart.
"""

from __future__ import annotations

from pathlib import Path

from chalicelib.core import model_store
from chalicelib.core.settings import get_settings
from chalicelib.forecasting.errors import ModelUnavailableError
from chalicelib.forecasting.model import ForecastModel

NAME = "forecast"
RECHECK_SECONDS = 10.0


def directory() -> Path:
    """The local directory of the current version (else the shipped one), checked against
    its manifest now: the retraining workflow compares against it, never a container's
    cached copy."""
    current = model_store.current_version(NAME)
    if current is not None:
        try:
            return model_store.load_model(NAME, current)
        except model_store.ModelUnavailableError:
            pass  # a pointer to a missing version: serve the shipped one
    try:
        return model_store.load_model(NAME, get_settings().forecast_model_version)
    except model_store.ModelUnavailableError as error:
        raise ModelUnavailableError("The forecast model is not available") from error


_published: model_store.Published[ForecastModel] = model_store.Published(
    NAME,
    lambda: get_settings().forecast_model_version,
    lambda found, _version: ForecastModel.load(found),
    RECHECK_SECONDS,
)


def served() -> ForecastModel:
    """The model to forecast with (the same object until a new version is published)."""
    try:
        return _published.get()[1]
    except model_store.ModelUnavailableError as error:
        raise ModelUnavailableError("The forecast model is not available") from error


def forget() -> None:
    """Drop the cached model (tests)."""
    _published.forget()
