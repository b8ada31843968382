"""In-memory recommendations: profiles and training-run files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from chalicelib.recommendations import repository
from chalicelib.recommendations.domain import Profile


class FakeRecsRepository:
    def __init__(self) -> None:
        self.profiles: dict[str, Profile] = {}
        self.versions: dict[str, str] = {}

    def profile(self, user_id: str) -> Profile | None:
        return self.profiles.get(user_id)

    def save_profiles(self, profiles: Iterable[Profile], *, version: str, now: datetime) -> int:
        count = 0
        for profile in profiles:
            self.profiles[profile.user_id] = Profile(
                profile.user_id,
                {k: round(v, 4) for k, v in profile.weights.items()},
                dict(profile.kinds),
                frozenset(profile.bought),
                now,
            )
            self.versions[profile.user_id] = version
            count += 1
        return count


class FakeRunStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self.objects[key] = data

    def get(self, key: str) -> bytes:
        return self.objects[key]

    def exists(self, key: str) -> bool:
        return key in self.objects

    def put_directory(self, prefix: str, directory: Path) -> None:
        for path in sorted(directory.iterdir()):
            if path.is_file():
                self.objects[f"{prefix}/{path.name}"] = path.read_bytes()

    def get_directory(self, prefix: str, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for key, data in self.objects.items():
            name = key[len(prefix) + 1 :]
            if key.startswith(f"{prefix}/") and "/" not in name:
                (directory / name).write_bytes(data)


@pytest.fixture
def recs_repo() -> Iterator[FakeRecsRepository]:
    fake = FakeRecsRepository()
    repository.use(fake, run_store=FakeRunStore())
    yield fake
    repository.use(None)
