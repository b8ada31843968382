"""The served forecast model: the version the retraining workflow named current
(``model_store.current_version``) when there is one, else the shipped version
(``forecast_model_version``).

Loaded through ``core.model_store`` and kept per container; the pointer is read again at
most every ``RECHECK_SECONDS``, so a newly published version is served without a restart.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from chalicelib.core import model_store
from chalicelib.core.settings import get_settings
from chalicelib.forecasting.errors import ModelUnavailableError
from chalicelib.forecasting.model import ForecastModel

NAME = "forecast"
RECHECK_SECONDS = 10.0
_lock = threading.Lock()
_cached: tuple[float, bytes, ForecastModel] | None = None


def directory() -> Path:
    """The local directory of the model to serve (downloaded and checked once)."""
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


def served() -> ForecastModel:
    """The model to forecast with (the same object until a new version is published)."""
    global _cached
    with _lock:
        now = time.monotonic()
        if _cached is not None and now - _cached[0] < RECHECK_SECONDS:
            return _cached[2]
        found = directory()
        manifest = (found / model_store.MANIFEST).read_bytes()
        if _cached is not None and _cached[1] == manifest:
            _cached = (now, manifest, _cached[2])
        else:
            _cached = (now, manifest, ForecastModel.load(found))
        return _cached[2]


def forget() -> None:
    """Drop the cached model (tests)."""
    global _cached
    with _lock:
        _cached = None
