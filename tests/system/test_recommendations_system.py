"""Recommendations on the running local cloud: the demo seed's training run, then the
scheduled workflow fired through the cloud's own schedule (Step Functions → the task
Lambda: extract → train → evaluate → publish), and the API serving the new version
without a restart."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from localcloud.seed import DEMO_ACCOUNTS
from tests.fixtures.accounts import sign_in
from tests.fixtures.cloud import RunningCloud, wait_for

pytestmark = pytest.mark.system
SHOPPER = next(a for a in DEMO_ACCOUNTS if a["role"] == "user")


def _finished(cloud: RunningCloud, arn: str) -> dict[str, Any] | None:
    described: dict[str, Any] = cloud.client("stepfunctions").describe_execution(executionArn=arn)
    return described if described["status"] != "RUNNING" else None


@pytest.mark.timeout(300)
def test_the_scheduled_workflow_publishes_a_model_served_without_restart(
    cloud: RunningCloud,
) -> None:
    with httpx.Client(base_url=cloud.rest, timeout=30) as http:
        shopper = sign_in(http, SHOPPER["email"], SHOPPER["password"])

        def recommendations() -> dict[str, Any]:
            response = http.get("/me/recommendations?limit=5", headers=shopper)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        # Given the demo seed's run (started at seed time) has published a model of the
        # demo products, the demo shopper gets recommendations because of what they viewed
        seeded = wait_for(
            lambda: (b := recommendations())["strategy"] == "personal" and b,
            timeout=120,
            what="the demo training run's model",
        )
        assert seeded["items"]
        assert seeded["items"][0]["reason"]["text"].startswith("because you ")
        # When the schedule fires the workflow
        started = cloud.run_schedule("bazaar-local-recs-training")
        assert started["error"] is None, started
        payload = started["payload"]
        arn = payload["execution_arn"]
        run_id = payload["run_id"]
        execution = wait_for(lambda: _finished(cloud, arn), timeout=180, what="the workflow")
        # Then it went through every step and published its model
        assert execution["status"] == "SUCCEEDED", execution
        output = json.loads(execution["output"])
        assert output["extract"]["enough"]
        assert output["evaluation"]["publish"], output["evaluation"]
        assert output["published"]["version"] == run_id
        # and the running API serves the new version (no restart), still personal
        served = wait_for(
            lambda: (b := recommendations())["model_version"] == run_id and b,
            timeout=30,
            what="the new model version served",
        )
        assert served["strategy"] == "personal"
        related = http.get(f"/products/{served['items'][0]['product']['product_id']}/related")
        assert related.status_code == 200, related.text
        assert related.json()["model_version"] == run_id
