"""core.model_store.Published: the one cache of the model version a container serves,
on a fake models bucket (the pointer and the versions that load; no AWS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.core import model_store


class Bucket:
    """What the models bucket holds: the pointer, the versions that can be downloaded;
    every read counted."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.unreachable = False  # S3 failing: the pointer cannot be read
        self.versions: set[str] = {"v1"}
        self.pointer_reads = 0
        self.downloads: list[str] = []

    def pointer(self, name: str) -> str | None:
        self.pointer_reads += 1
        if self.unreachable:
            raise ConnectionError("S3 unreachable")
        return self.current

    def load_model(self, name: str, version: str) -> Path:
        self.downloads.append(version)
        if version not in self.versions:
            raise model_store.ModelUnavailableError(f"{name}/{version} is not there")
        return Path("/models") / name / version


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Bucket:
    fake = Bucket()
    monkeypatch.setattr(model_store, "_pointer", fake.pointer)
    monkeypatch.setattr(model_store, "load_model", fake.load_model)
    return fake


def _published(clock: Clock, loads: list[str] | None = None) -> model_store.Published[str]:
    def load(directory: Path, version: str) -> str:
        if loads is not None:
            loads.append(version)
        if version == "broken":
            raise ValueError("not an ONNX file")
        return f"model from {directory}"

    return model_store.Published("recs", "v1", load, 60, monotonic=clock)


def test_the_default_version_is_served_until_another_is_published(bucket: Bucket) -> None:
    # Given nothing published as current
    clock, loads = Clock(), []
    published = _published(clock, loads)
    # When the model is asked for three times within a check period
    got = [published.get() for _ in range(3)]
    # Then the default version is loaded once and the pointer read once, no manifest again
    assert got == [("v1", "model from /models/recs/v1")] * 3
    assert (loads, bucket.pointer_reads, bucket.downloads) == (["v1"], 1, ["v1"])
    # When v2 is published as current, Then it is served from the next check on, loaded once
    bucket.versions.add("v2")
    bucket.current = "v2"
    clock.now += 59
    assert published.get()[0] == "v1"
    clock.now += 2
    assert published.get()[0] == "v2"
    clock.now += 61
    assert published.get()[0] == "v2"
    assert loads == ["v1", "v2"]
    # and a check that finds the same version reads only the pointer (no manifest)
    assert bucket.downloads == ["v1", "v2"]
    assert bucket.pointer_reads == 3


def test_a_version_that_cannot_be_loaded_leaves_the_served_one_in_service(
    bucket: Bucket,
) -> None:
    clock = Clock()
    published = _published(clock)
    assert published.get()[0] == "v1"
    # Given a pointer to a version missing from the bucket, then to one that will not load
    for bad in ("v9", "broken"):
        bucket.current = bad
        bucket.versions.add("broken")
        clock.now += 61
        # When the next check sees it, Then the loaded model stays in service
        assert published.get() == ("v1", "model from /models/recs/v1")
    # and it is tried again at the following check, not on every call
    before = len(bucket.downloads)
    published.get()
    assert len(bucket.downloads) == before


def test_with_nothing_loaded_a_bad_pointer_falls_back_to_the_default(bucket: Bucket) -> None:
    bucket.current = "v9"  # named current, never uploaded
    published = _published(Clock())
    assert published.get()[0] == "v1"
    assert bucket.downloads == ["v9", "v1"]


def test_nothing_loadable_is_unavailable_and_asked_again_only_at_the_next_check(
    bucket: Bucket,
) -> None:
    # Given an empty bucket
    bucket.versions = set()
    clock = Clock()
    published = _published(clock)
    # When the model is asked for twice within a check period
    for _ in range(2):
        with pytest.raises(model_store.ModelUnavailableError, match="v1"):
            published.get()
    # Then the bucket was asked once
    assert bucket.downloads == ["v1"]
    # When the default version arrives, Then the next check serves it
    bucket.versions.add("v1")
    clock.now += 61
    assert published.get()[0] == "v1"
    # and forget() drops it (tests): the next get loads again
    published.forget()
    assert published.get()[0] == "v1"
    assert bucket.downloads == ["v1", "v1", "v1"]


def test_an_unreadable_pointer_keeps_the_published_version_in_service(bucket: Bucket) -> None:
    # Given a published v2 being served
    bucket.versions.add("v2")
    bucket.current = "v2"
    clock = Clock()
    published = _published(clock)
    assert published.get()[0] == "v2"
    # When the next check cannot read the pointer (S3 failing)
    bucket.unreachable = True
    clock.now += 61
    # Then v2 stays in service: no fall back to the default version, nothing downloaded
    assert published.get()[0] == "v2"
    assert bucket.downloads == ["v2"]
    # and with nothing loaded yet, an unreadable pointer serves the default
    fresh = _published(clock)
    assert fresh.get()[0] == "v1"
