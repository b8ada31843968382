"""The forecast retraining workflow on the local cloud: Step Functions runs extract →
train → evaluate → publish in our Lambda; a better candidate is published and served by
the running API without a restart; a worse one is not published."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np

from tests.fixtures.accounts import sign_in
from tests.fixtures.cloud import RunningCloud, pointed_at, wait_for

WEEKDAY = {0: 1.0, 1: 1.1, 2: 0.9, 3: 1.2, 4: 0.8, 6: 2.2}  # Sundays sell most, no Saturdays


def seed_history(cloud: RunningCloud, scope: str, days: int = 200) -> None:
    """``days`` days of daily sales of ``scope`` in the analytics counters, up to yesterday."""
    from chalicelib.analytics.domain import CounterKey, Grain
    from chalicelib.analytics.service import aggregate

    rng = np.random.default_rng(7)
    today = datetime.now(UTC).date()
    counts: dict[Any, dict[str, int]] = {}
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() == 5:
            continue
        revenue = int(100_000 * WEEKDAY[day.weekday()] * float(np.exp(rng.normal(0, 0.05))))
        counts[CounterKey(scope, Grain.DAY, day.isoformat())] = {"revenue": revenue, "units": 10}
    with pointed_at(cloud):
        aggregate.seed(counts, {})


def run(cloud: RunningCloud, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = cloud.client("stepfunctions")
    arn = cloud.info()["state_machines"]["ForecastRetrainStateMachine"]
    started = sfn.start_execution(
        stateMachineArn=arn, name=f"t-{uuid.uuid4()}", input=json.dumps(payload)
    )
    described = wait_for(
        lambda: (
            (d := sfn.describe_execution(executionArn=started["executionArn"]))["status"]
            != "RUNNING"
            and d
        ),
        timeout=120,
        what="the retraining run to finish",
    )
    assert described["status"] == "SUCCEEDED", described
    history = sfn.get_execution_history(executionArn=started["executionArn"], maxResults=1000)
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in history["events"]
        if e["type"].endswith("StateEntered")
    ]
    return {"output": json.loads(described["output"]), "states": entered}


def served_version(http: httpx.Client, admin: dict[str, str]) -> str:
    response = http.get("/forecasting/platform/sales?days=7", headers=admin)
    assert response.status_code == 200, response.text
    return str(response.json()["model_version"])


def test_retraining_publishes_a_better_model_and_never_a_worse_one(cloud: RunningCloud) -> None:
    scope = f"retrain-{uuid.uuid4().hex[:8]}"
    seed_history(cloud, scope)
    s3 = cloud.client("s3")
    bucket = cloud.info()["resources"]["ModelsBucket"]
    with httpx.Client(base_url=cloud.rest, timeout=30) as http:
        admin = sign_in(http, "admin@bazaar.example.com", "Demo-Boss-Pass-2026")
        before = served_version(http, admin)
        try:
            # When the workflow retrains on a history whose Sundays sell most (the served
            # model learned Sundays sell least)
            better = run(cloud, {"run_id": uuid.uuid4().hex, "scope": scope, "overrides": {}})
            # Then every step ran, the candidate beat the served model and was published
            assert better["states"] == [
                "Extract",
                "EnoughHistory",
                "Train",
                "Evaluate",
                "NotWorse",
                "Publish",
                "Published",
            ]
            evaluation = better["output"]["evaluation"]
            assert evaluation["candidate"]["wape"] < evaluation["served"]["wape"]
            version = better["output"]["version"]
            pointer = json.loads(
                s3.get_object(Bucket=bucket, Key="forecast/current.json")["Body"].read()
            )
            assert pointer["version"] == version
            manifest = json.loads(
                s3.get_object(Bucket=bucket, Key=f"forecast/{version}/manifest.json")["Body"].read()
            )
            assert "evaluation.json" in manifest["files"]
            # …and the running API serves it without a restart (it re-reads the manifest)
            wait_for(
                lambda: served_version(http, admin) == version,
                timeout=30,
                what="the API to serve the new version",
            )
            # When a deliberately worse candidate is trained (no weekday pattern)
            worse = run(
                cloud,
                {
                    "run_id": uuid.uuid4().hex,
                    "scope": scope,
                    "overrides": {"ridge": 1e9, "halflife": 1.0, "long_window": 1, "decay": 0.0},
                },
            )
            # Then it is evaluated worse and not published: the served version stays
            assert worse["states"][-2:] == ["NotWorse", "Kept"]
            kept = worse["output"]["evaluation"]
            assert kept["candidate"]["wape"] > kept["served"]["wape"]
            assert kept["served"]["version"] == version
            pointer = json.loads(
                s3.get_object(Bucket=bucket, Key="forecast/current.json")["Body"].read()
            )
            assert pointer["version"] == version
        finally:
            # The session's cloud serves the shipped model again
            s3.delete_object(Bucket=bucket, Key="forecast/current.json")
        wait_for(
            lambda: served_version(http, admin) == before,
            timeout=30,
            what="the shipped model to be served again",
        )


def test_the_weekly_schedule_starts_a_run_that_skips_a_short_history(cloud: RunningCloud) -> None:
    # Given the demo platform (30 days of sales: under the 56 trading days training needs)
    started = cloud.run_schedule(
        next(s["name"] for s in cloud.info()["schedules"] if s["name"].endswith("forecast-retrain"))
    )
    assert started["error"] is None, started
    sfn = cloud.client("stepfunctions")
    described = wait_for(
        lambda: (
            (d := sfn.describe_execution(executionArn=started["payload"]["execution_arn"]))[
                "status"
            ]
            != "RUNNING"
            and d
        ),
        timeout=60,
        what="the scheduled run",
    )
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["published"] is False
