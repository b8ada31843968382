"""core.model_store on moto: models download once, verified, safely beside other processes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import boto3
import pytest

from chalicelib.core import model_store
from chalicelib.core.settings import get_settings
from localcloud.deploy import Deployment


def write_model(directory: Path, weights: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "weights.bin").write_bytes(weights)
    manifest = {"files": {"weights.bin": {"sha256": hashlib.sha256(weights).hexdigest()}}}
    (directory / model_store.MANIFEST).write_text(json.dumps(manifest))
    return directory


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from chalicelib.core.settings import reset_settings

    monkeypatch.setenv("BAZAAR_MODEL_CACHE_DIR", str(tmp_path / "cache"))
    reset_settings()
    return tmp_path / "cache"


def leftovers(cache: Path) -> list[str]:
    return sorted(path.name for path in (cache / "toy").iterdir() if path.name != "v1")


def test_a_published_model_downloads_once_into_its_version_directory(
    aws_env: Deployment, tmp_path: Path, cache: Path
) -> None:
    # Given a model published to the models bucket
    model_store.publish_model(write_model(tmp_path / "src", b"one"), "toy", "v1")
    # When it is loaded twice
    first = model_store.load_model("toy", "v1")
    (first / "weights.bin").touch()  # a second download would rewrite it
    mtime = (first / "weights.bin").stat().st_mtime_ns
    second = model_store.load_model("toy", "v1")
    # Then the second load reuses the verified copy, and no download directory is left
    assert first == second == cache / "toy" / "v1"
    assert (second / "weights.bin").read_bytes() == b"one"
    assert (second / "weights.bin").stat().st_mtime_ns == mtime
    assert leftovers(cache) == []


def test_a_copy_another_process_installed_first_is_kept(
    aws_env: Deployment, tmp_path: Path, cache: Path
) -> None:
    # Given another process's finished copy of the same publication, installed after this
    # process looked at the cache (the rename of its own download then finds a directory)
    model_store.publish_model(write_model(tmp_path / "src", b"one"), "toy", "v1")
    other = model_store.load_model("toy", "v1")
    (other / "marker").write_text("the other process's copy")
    (other / ".complete").unlink()  # this process sees no usable cache, and downloads
    # When this process installs its download
    partial = write_model(cache / "toy" / ".v1.mine.partial", b"one")
    (partial / ".complete").touch()
    raw = (partial / model_store.MANIFEST).read_bytes()
    (other / ".complete").touch()  # meanwhile the other process completed its copy
    installed = model_store._install(partial, other, raw)
    # Then the other copy stays in place and this download is dropped
    assert installed == other
    assert (installed / "marker").is_file()
    assert leftovers(cache) == []


def test_a_republished_version_replaces_the_cached_copy(
    aws_env: Deployment, tmp_path: Path, cache: Path
) -> None:
    # Given a cached v1
    model_store.publish_model(write_model(tmp_path / "a", b"one"), "toy", "v1")
    model_store.load_model("toy", "v1")
    # When v1 is published again with other weights and loaded
    model_store.publish_model(write_model(tmp_path / "b", b"two"), "toy", "v1")
    loaded = model_store.load_model("toy", "v1")
    # Then the new weights are served
    assert (loaded / "weights.bin").read_bytes() == b"two"
    assert leftovers(cache) == []


def test_a_file_that_does_not_match_its_manifest_is_refused_and_nothing_is_left(
    aws_env: Deployment, tmp_path: Path, cache: Path
) -> None:
    # Given a publication whose weights were changed after the manifest was written
    model_store.publish_model(write_model(tmp_path / "src", b"one"), "toy", "v1")
    bucket = get_settings().models_bucket
    boto3.client("s3").put_object(Bucket=bucket, Key="toy/v1/weights.bin", Body=b"evil")
    # When it is loaded
    with pytest.raises(model_store.ModelUnavailableError, match="does not match"):
        model_store.load_model("toy", "v1")
    # Then no copy and no download directory stay in the cache
    assert sorted(path.name for path in (cache / "toy").iterdir()) == []


def test_the_pointer_names_the_current_version_and_none_before_any(
    aws_env: Deployment, cache: Path
) -> None:
    # Given no pointer, Then none is current (and the check does not count as a failure)
    assert model_store._pointer("toy") is None
    # When v2 is named current, Then the pointer says so
    model_store.set_current_version("toy", "v2")
    assert model_store._pointer("toy") == "v2"
    assert model_store.current_version("toy") == "v2"
