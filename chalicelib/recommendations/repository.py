"""Where recommendations keep users' profiles: the port, its DynamoDB implementation, and
``get()``/``use()`` (tests swap in ``tests/fakes/recommendations.py``; both pass
``tests/integration/recommendations/test_repository_contract.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.core import aws
from chalicelib.core.settings import get_settings
from chalicelib.recommendations import models as m
from chalicelib.recommendations.domain import Engagement, Profile


class RecsRepository(Protocol):
    def profile(self, user_id: str) -> Profile | None:
        """The user's profile as of the last published training run, or None."""
        ...

    def save_profiles(self, profiles: Iterable[Profile], *, version: str, now: datetime) -> int:
        """Write every profile (replacing the user's previous one); how many."""
        ...


class DynamoRecsRepository:
    def profile(self, user_id: str) -> Profile | None:
        try:
            item = m.ProfileModel.get(m.user_pk(user_id), m.PROFILE_SK)
        except m.ProfileModel.DoesNotExist:
            return None
        return Profile(
            user_id=user_id,
            weights={k: float(v) for k, v in (item.weights or {}).items()},
            kinds={k: Engagement(v) for k, v in (item.kinds or {}).items()},
            bought=frozenset(item.bought or []),
            updated_at=item.updated_at,
        )

    def save_profiles(self, profiles: Iterable[Profile], *, version: str, now: datetime) -> int:
        count = 0
        with m.ProfileModel.batch_write() as batch:
            for profile in profiles:
                batch.save(
                    m.ProfileModel(
                        m.user_pk(profile.user_id),
                        m.PROFILE_SK,
                        weights={k: round(v, 4) for k, v in profile.weights.items()},
                        kinds={k: str(v) for k, v in profile.kinds.items()},
                        bought=sorted(profile.bought),
                        version=version,
                        updated_at=now,
                    )
                )
                count += 1
        return count


class RunStore(Protocol):
    """What one training run leaves for its next step (any container may run it)."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes:
        """Raises KeyError when there is no such object."""
        ...

    def exists(self, key: str) -> bool: ...

    def put_directory(self, prefix: str, directory: Path) -> None:
        """Every file of ``directory`` under ``prefix/``."""
        ...

    def get_directory(self, prefix: str, directory: Path) -> None:
        """Every object under ``prefix/`` into ``directory``."""
        ...


class S3RunStore:
    """Runs in the models bucket under ``runs/`` (the bucket's lifecycle expires them)."""

    def _bucket(self) -> str:
        return get_settings().models_bucket

    def put(self, key: str, data: bytes) -> None:
        aws.client("s3").put_object(Bucket=self._bucket(), Key=key, Body=data)

    def get(self, key: str) -> bytes:
        try:
            body: bytes = aws.client("s3").get_object(Bucket=self._bucket(), Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from error
            raise
        return body

    def exists(self, key: str) -> bool:
        try:
            aws.client("s3").head_object(Bucket=self._bucket(), Key=key)
        except ClientError:
            return False
        return True

    def put_directory(self, prefix: str, directory: Path) -> None:
        for path in sorted(directory.iterdir()):
            if path.is_file():
                aws.client("s3").upload_file(str(path), self._bucket(), f"{prefix}/{path.name}")

    def get_directory(self, prefix: str, directory: Path) -> None:
        s3 = aws.client("s3")
        directory.mkdir(parents=True, exist_ok=True)
        listed = s3.list_objects_v2(Bucket=self._bucket(), Prefix=f"{prefix}/")
        for entry in listed.get("Contents", []):
            name = entry["Key"][len(prefix) + 1 :]
            if name and "/" not in name:
                s3.download_file(self._bucket(), entry["Key"], str(directory / name))


def start_training(run_id: str, params: dict[str, Any]) -> str:
    """Start the training workflow (the state machine in settings) as ``run_id``; its
    execution ARN. ValueError when no state machine is configured."""
    arn = get_settings().recs_training_state_machine_arn
    if not arn:
        raise ValueError("BAZAAR_RECS_TRAINING_STATE_MACHINE_ARN is not configured")
    started = aws.client("stepfunctions").start_execution(
        stateMachineArn=arn,
        name=run_id,
        input=json.dumps({"run_id": run_id, "params": params}),
    )
    return str(started["executionArn"])


_repository: RecsRepository | None = None
_runs: RunStore | None = None


def get() -> RecsRepository:
    """The repository in use: the DynamoDB one unless a test swapped in another."""
    global _repository
    if _repository is None:
        _repository = DynamoRecsRepository()
    return _repository


def runs() -> RunStore:
    """Where training runs keep their files: S3 unless a test swapped in another."""
    global _runs
    if _runs is None:
        _runs = S3RunStore()
    return _runs


def use(repository: RecsRepository | None, *, run_store: RunStore | None = None) -> None:
    """Use ``repository`` and ``run_store`` (None: back to DynamoDB and S3)."""
    global _repository, _runs
    _repository, _runs = repository, run_store
