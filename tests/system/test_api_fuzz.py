"""Schemathesis against the running local cloud's ``/openapi.json``, as every role.

The outside check of issue 10, kept: generated requests (valid and invalid) to every
documented operation as anonymous, shopper, seller and admin, with a fixed seed and a
bounded number of examples per operation. Three checks must hold with zero failures:
no server errors, every status code documented, every response body matching its schema.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.aws import ROOT
from tests.fixtures.cloud import RunningCloud, local_cloud, wait_for

pytestmark = pytest.mark.system

SEED = 20261128
# Per operation and role. With the "examples" and "fuzzing" phases (valid and invalid
# requests) the four runs took 130 s here under a load average of 10 (other sessions);
# the "coverage" phase (boundary values, ~2,700 requests a role) found nothing more on this
# code and takes minutes, so it is left to a manual run (`--phases coverage`).
MAX_EXAMPLES = 4
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
# Seeded demo accounts (localcloud/seed.py).
ROLES = {
    "shopper": ("shopper@bazaar.example.com", "Demo-Buyer-Pass-2026"),
    "seller": ("seller@bazaar.example.com", "Demo-Store-Pass-2026"),
    "admin": ("admin@bazaar.example.com", "Demo-Boss-Pass-2026"),
}
# Operations left out, each for a reason (operation ids are ``<view>_<method>``):
EXCLUDED_OPERATIONS = [
    # Ends the session the run's token belongs to: every later request would be a 401.
    "logout_post",
]


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningCloud]:
    """A local cloud of its own, seeded with the demo people, catalog and cart but not their
    history (the fuzz needs routes with data, not dashboards). Generated requests change
    data (schemathesis reuses ids from earlier responses, so the seller's shop may be
    deleted, a demo account banned, the shopper's cart checked out) and must not disturb
    the session's shared cloud."""
    with local_cloud({"LOCALCLOUD_SEED": "true", "LOCALCLOUD_SEED_HISTORY": "false"}) as running:
        yield running


def sign_in(cloud: RunningCloud, email: str, password: str) -> str | None:
    response = httpx.post(
        f"{cloud.rest}/auth/login", json={"email": email, "password": password}, timeout=30
    )
    return str(response.json()["access_token"]) if response.status_code == 200 else None


def run_schemathesis(cloud: RunningCloud, token: str | None) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{cloud.rest}/openapi.json",
        "--checks",
        CHECKS,
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "examples,fuzzing",
        # One worker: hypothesis describing its strategies from two threads at once trips
        # CPython 3.11's "AST constructor recursion depth mismatch" (a runner crash).
        "--workers",
        "1",
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--warnings",
        "off",
    ]
    for operation_id in EXCLUDED_OPERATIONS:
        command += ["--exclude-operation-id", operation_id]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=ROOT, env=env
    )


# The cloud's start (the first role) and a schemathesis run (bounded at 600 s) exceed the
# suite's 300 s on a busy shared machine; each run is bounded on its own.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_generated_requests_find_no_server_error_undocumented_status_or_bad_body(
    cloud: RunningCloud, role: str
) -> None:
    # Given a token for the role (the demo data is seeded just after the API answers)
    token = None
    if role in ROLES:
        token = wait_for(lambda: sign_in(cloud, *ROLES[role]), timeout=60, what="demo sign-in")
    # When schemathesis runs every documented operation with generated requests
    result = run_schemathesis(cloud, token)
    # Then it finds nothing
    report = (result.stdout + result.stderr)[-12_000:]
    assert result.returncode == 0, report
