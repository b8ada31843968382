"""Trained models from the models bucket: ``load_model(name, version)`` → a local directory.

A model is stored as ``<name>/<version>/`` objects (``manifest.json`` plus the files it
lists with their sha256). A container downloads a version once into its cache directory
(``/tmp`` on Lambda), checks every file's sha256 against the manifest, and reuses it for
its lifetime; callers cache their onnxruntime session on top (one per container).
``publish_model`` uploads a local model directory (the local cloud's deploy, a release).
``Published`` is the one cache of "the version this container serves" (the pointer
``<name>/current.json``, checked every few seconds; a new version loaded without a restart).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from chalicelib.core import aws
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings

MANIFEST = "manifest.json"
_lock = threading.Lock()


class ModelUnavailableError(Exception):
    """The model is not in the bucket, or a file does not match its manifest."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(manifest: dict[str, Any]) -> dict[str, str]:
    return {name: str(entry["sha256"]) for name, entry in manifest.get("files", {}).items()}


def _verified(directory: Path) -> bool:
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        return False
    manifest = json.loads(manifest_path.read_text())
    return all(
        (directory / name).is_file() and _sha256(directory / name) == digest
        for name, digest in _files(manifest).items()
    )


def load_model(name: str, version: str) -> Path:
    """The local directory of model ``name`` at ``version``, downloaded from the models
    bucket on first use (sha256-checked). Raises ModelUnavailableError."""
    settings = get_settings()
    target = Path(settings.model_cache_dir) / name / version
    s3 = aws.client("s3")
    prefix = f"{name}/{version}/"
    with _lock:
        try:
            body = s3.get_object(Bucket=settings.models_bucket, Key=prefix + MANIFEST)["Body"]
            raw = body.read()
            manifest = json.loads(raw)
        except Exception as error:
            raise ModelUnavailableError(f"model {name}/{version} unavailable: {error}") from error
        # A cache of the same manifest is reused (a re-published version is fetched again).
        if (target / ".complete").is_file() and (target / MANIFEST).read_bytes() == raw:
            return target
        # A download directory of this call's own: two processes sharing the cache (the
        # local cloud and a test, two test workers) never write into each other's.
        partial = target.with_name(f".{version}.{uuid.uuid4().hex}.partial")
        partial.mkdir(parents=True)
        try:
            (partial / MANIFEST).write_bytes(raw)
            for file_name in _files(manifest):
                s3.download_file(
                    settings.models_bucket, prefix + file_name, str(partial / file_name)
                )
        except Exception as error:
            shutil.rmtree(partial, ignore_errors=True)
            raise ModelUnavailableError(f"model {name}/{version} unavailable: {error}") from error
        if not _verified(partial):
            shutil.rmtree(partial, ignore_errors=True)
            raise ModelUnavailableError(f"model {name}/{version} does not match its manifest")
        (partial / ".complete").touch()
        return _install(partial, target, raw)


def _install(partial: Path, target: Path, manifest: bytes) -> Path:
    """Move a verified download into place; another process's identical copy is kept."""
    try:
        partial.rename(target)
        return target
    except OSError:  # the target exists: a concurrent download won, or an older publication
        if (target / ".complete").is_file() and (target / MANIFEST).read_bytes() == manifest:
            shutil.rmtree(partial, ignore_errors=True)
            return target
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def publish_model(directory: Path, name: str, version: str, *, bucket: str | None = None) -> int:
    """Upload a local model directory (its manifest and the files it lists); the count."""
    manifest = json.loads((directory / MANIFEST).read_text())
    if not _verified(directory):
        raise ModelUnavailableError(f"{directory} does not match its manifest")
    s3 = aws.client("s3")
    target_bucket = bucket or get_settings().models_bucket
    names = [*_files(manifest), MANIFEST]
    for file_name in names:
        s3.upload_file(str(directory / file_name), target_bucket, f"{name}/{version}/{file_name}")
    return len(names)


def forget_cache() -> None:
    """Drop every downloaded model (tests; a container never needs to)."""
    with _lock:
        shutil.rmtree(get_settings().model_cache_dir, ignore_errors=True)


def publish_all(root: Path, *, bucket: str | None = None) -> dict[str, int]:
    """Upload every ``<root>/<name>/<version>/`` model directory; files per model."""
    published: dict[str, int] = {}
    for manifest in sorted(root.glob(f"*/*/{MANIFEST}")):
        directory = manifest.parent
        name, version = directory.parent.name, directory.name
        published[f"{name}/{version}"] = publish_model(directory, name, version, bucket=bucket)
    return published


# ---------- the published ("current") version of a model ----------
# A model retrained on a schedule is published as a new version and then named current in
# ``<name>/current.json`` ({"version": ...}); containers read that small object at most
# every few seconds (their setting) and load a version they have not seen.
CURRENT = "current.json"


def current_version(name: str) -> str | None:
    """The version of ``name`` published as current, or None (never published, or the
    pointer is unreadable)."""
    try:
        return _pointer(name)
    except Exception:  # noqa: BLE001  an unreadable pointer is "none published" here
        return None


def _pointer(name: str) -> str | None:
    """The version ``<name>/current.json`` names; None when there is no pointer. Any other
    failure (S3 unreachable, a broken pointer) raises."""
    s3 = aws.client("s3")
    try:
        body = s3.get_object(Bucket=get_settings().models_bucket, Key=f"{name}/{CURRENT}")["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    version = json.loads(body.read()).get("version")
    return str(version) if version else None


def set_current_version(name: str, version: str, **details: Any) -> None:
    """Name ``version`` (already published) the current one of ``name``."""
    aws.client("s3").put_object(
        Bucket=get_settings().models_bucket,
        Key=f"{name}/{CURRENT}",
        Body=json.dumps({"version": version, **details}).encode(),
        ContentType="application/json",
    )


# ---------- the model a container serves ----------
T = TypeVar("T")
V = TypeVar("V")


def _value(source: Callable[[], V] | V) -> V:
    return source() if callable(source) else source


class Published(Generic[T]):
    """The version of a model a container serves, loaded once and kept: the one named in
    ``<name>/current.json`` (read at most every ``check_seconds``), else
    ``default_version``. ``load(directory, version)`` turns a downloaded version into
    what is served (an onnxruntime session, arrays), once per version.

    A new current version is loaded on the first ``get()`` after the check that sees it
    (no restart); a version that cannot be downloaded or loaded leaves the loaded one in
    service (tried again at the next check), and with nothing loaded yet the default
    version is tried instead. The manifest is read only when a version is loaded (the
    pointer, a few bytes, is the only read per check). ``name``, ``default_version`` and
    ``check_seconds`` may be callables (read from settings at each check).
    """

    def __init__(
        self,
        name: str | Callable[[], str],
        default_version: str | Callable[[], str],
        load: Callable[[Path, str], T],
        check_seconds: float | Callable[[], float],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._name = name
        self._default = default_version
        self._load = load
        self._check = check_seconds
        self._lock = threading.Lock()
        self._loaded: tuple[str, T] | None = None
        self._checked_at: float | None = None
        self._error: str | None = None

    def get(self) -> tuple[str, T]:
        """The served (version, model); ModelUnavailableError when no version has ever
        been loaded and none can be (asked again only after ``check_seconds``)."""
        with self._lock:
            now = self._monotonic()
            fresh = self._checked_at is not None and now - self._checked_at < _value(self._check)
            if not fresh:
                self._checked_at = now
                self._refresh()
            if self._loaded is None:
                raise ModelUnavailableError(
                    self._error or f"model {_value(self._name)} unavailable"
                )
            return self._loaded

    def _refresh(self) -> None:
        name, default = _value(self._name), _value(self._default)
        try:
            wanted = _pointer(name) or default
        except Exception as error:  # noqa: BLE001 - a failed check keeps what is served
            logger.warning(
                "Model pointer not read", extra={"model": name, "error": str(error)[:300]}
            )
            if self._loaded is not None:
                return
            wanted = default
        if self._loaded is not None and self._loaded[0] == wanted:
            return
        candidates = (
            [wanted] if self._loaded is not None or wanted == default else [wanted, default]
        )
        for version in candidates:
            try:
                self._loaded = (version, self._load(load_model(name, version), version))
                self._error = None
                return
            except Exception as error:  # noqa: BLE001 - a bad version never ends serving
                self._error = f"model {name}/{version} unavailable: {error}"
                logger.warning(
                    "Model version not loaded",
                    extra={"model": name, "version": version, "error": str(error)[:300]},
                )

    def forget(self) -> None:
        """Drop the loaded model and the last check (tests)."""
        with self._lock:
            self._loaded, self._checked_at, self._error = None, None, None
