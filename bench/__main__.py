"""Platform benchmark: cold start (ratio to a bare import), package size, start-up, REST and
WebSocket latency, one saga, the catalog, checkout and chat (``bench.chat``).

Runs the local cloud as a real process (as ``make dev`` does) and measures it from the
outside with real clients. Prints a table and writes ``bench/results.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

import boto3
import httpx
import websockets

from bench import analytics as analytics_bench
from bench import catalog
from bench import chat as chat_bench
from bench import checkout as checkout_bench
from bench import forecast as forecast_bench
from bench import notifications as notifications_bench
from bench import recommendations as recommendations_bench
from bench import reviews as reviews_bench
from chalicelib.core.settings import Settings
from localcloud import process

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "max_ms": round(max(values), 2),
    }


# The cold-start yardstick: the libraries every Bazaar Lambda needs, imported bare.
BASELINE_IMPORT = "import boto3, chalice, pynamodb.models, aws_lambda_powertools, pydantic"
API_IMPORT = "import app"
# A cold request's code before its first AWS call: the API plus the capability it reaches
# (the catalog), then every capability (what the API imported before routes were lazy).
API_FIRST_CATALOG_REQUEST = "import app; app.capabilities.load('chalicelib.catalog.api')"
API_EVERY_CAPABILITY = "import app; app.capabilities.load_all()"
# What validating settings at import (pydantic models, as every entry point does) adds to it.
SETTINGS_IMPORT = (
    f"{BASELINE_IMPORT}; from chalicelib.core.settings import get_settings; get_settings()"
)
COLD_START_TARGET = 1.5  # the API module may take at most this multiple of the baseline


def import_times(statements: list[str], runs: int = 9) -> list[dict[str, float]]:
    """Median wall (and CPU) time of each statement in a fresh interpreter (a cold start).

    The statements' runs are interleaved, so load from other processes hits them alike.
    Bytecode is compiled once first (into a private cache), so every run, baseline and
    API alike, measures importing and not compiling.
    """
    with tempfile.TemporaryDirectory() as pycache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # A deployed stage: the API as AWS runs it (no local development scaffolding).
        env.update(BAZAAR_STAGE="prod", AWS_DEFAULT_REGION="us-east-1", PYTHONPYCACHEPREFIX=pycache)
        samples: list[list[tuple[float, float]]] = [[] for _ in statements]
        for run in range(runs + 1):
            for index, statement in enumerate(statements):
                code = (
                    "import time; w, c = time.perf_counter(), time.process_time(); "
                    f"{statement}; "
                    "print(time.perf_counter() - w, time.process_time() - c)"
                )
                out = subprocess.run(
                    [sys.executable, "-c", code],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                wall, cpu = (float(value) * 1000 for value in out.stdout.split())
                if run:  # run 0 only fills the bytecode cache
                    samples[index].append((wall, cpu))
    return [
        {
            "median_ms": round(statistics.median(wall for wall, _ in taken), 1),
            "cpu_median_ms": round(statistics.median(cpu for _, cpu in taken), 1),
            "runs": runs,
        }
        for taken in samples
    ]


def cold_start() -> dict[str, Any]:
    """The API module's import against the bare baseline import, and their ratio."""
    api, baseline, settings, catalog, everything = import_times(
        [
            API_IMPORT,
            BASELINE_IMPORT,
            SETTINGS_IMPORT,
            API_FIRST_CATALOG_REQUEST,
            API_EVERY_CAPABILITY,
        ]
    )

    def ratio(taken: dict[str, float], kind: str) -> float:
        return round(taken[kind] / baseline[kind], 2)

    return {
        "import_api_module": api,
        "import_baseline": {**baseline, "statement": BASELINE_IMPORT},
        "import_baseline_and_settings": settings,
        "import_api_and_catalog": {**catalog, "statement": API_FIRST_CATALOG_REQUEST},
        "import_api_and_every_capability": {**everything, "statement": API_EVERY_CAPABILITY},
        "cold_start_ratio": {
            "wall": ratio(api, "median_ms"),
            "cpu": ratio(api, "cpu_median_ms"),
            "target": COLD_START_TARGET,
            # A cold catalog request's imports, and every capability's, for scale.
            "first_catalog_request_wall": ratio(catalog, "median_ms"),
            "first_catalog_request_cpu": ratio(catalog, "cpu_median_ms"),
            "every_capability_wall": ratio(everything, "median_ms"),
            "every_capability_cpu": ratio(everything, "cpu_median_ms"),
            # The share no API module can go under while it validates its settings
            # with pydantic at import.
            "settings_floor_wall": round(settings["median_ms"] / baseline["median_ms"], 2),
            "settings_floor_cpu": round(settings["cpu_median_ms"] / baseline["cpu_median_ms"], 2),
        },
    }


def package_size() -> dict[str, Any]:
    """Size of the AWS deployment zip (as ``make package`` builds it), packed and unpacked."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-m", "scripts.package", out],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        bundle = Path(out) / "deployment.zip"
        with zipfile.ZipFile(bundle) as archive:
            entries = archive.infolist()
            unzipped = sum(entry.file_size for entry in entries)
        return {
            "deployment_zip_bytes": bundle.stat().st_size,
            "unzipped_bytes": unzipped,
            "files": len(entries),
        }


class Cloud:
    """The local cloud as a process, as ``make dev`` runs it."""

    def __init__(self) -> None:
        self.running = process.start(
            {
                # The bench's shoppers all sign in from 127.0.0.1: raise the per-IP login
                # limit (per-email limits stay). Accounts are provisioned with cheap argon2
                # (bench.catalog); the same parameters here spare each sign-in a rehash.
                # Nothing measured here hashes a password.
                "BAZAAR_RATE_LIMIT_LOGIN": Settings.model_fields["rate_limit_login"]
                .default.model_copy(update={"per_ip": 10_000})
                .model_dump_json(),
                **catalog.CHEAP_ARGON2,
                # Chat (S7): the per-connection frame limit (30 per 10 s) would measure
                # itself; the bench measures what the server sustains (bench.chat).
                "BAZAAR_WEBSOCKET_RATE_LIMIT_FRAMES": "1000000",
                **analytics_bench.CLOUD_ENV,
            }
        )
        self.startup_s = self.running.startup_s
        endpoints = self.running.endpoints
        self.aws, self.rest, self.ws = endpoints["aws"], endpoints["rest"], endpoints["websocket"]

    def info(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.aws}/_localcloud/info", timeout=10) as response:  # noqa: S310
            loaded: dict[str, Any] = json.loads(response.read())
            return loaded

    def stop(self) -> None:
        self.running.stop()


def bench_health(cloud: Cloud, n: int = 300) -> dict[str, float]:
    samples = []
    with httpx.Client() as client:
        client.get(f"{cloud.rest}/health")
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(f"{cloud.rest}/health")
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return summary(samples)


def _websocket_token(cloud: Cloud) -> str:
    """A signed-in shopper's access token ($connect refuses anonymous sockets)."""
    catalog.point_at(cloud)
    with httpx.Client(base_url=cloud.rest, timeout=60) as http:
        email = f"bench.ws.{uuid.uuid4().hex[:8]}@bazaar.example.com"
        _, headers = checkout_bench.person(http, email, "user")
    return headers["Authorization"].removeprefix("Bearer ")


def bench_websocket(cloud: Cloud, n: int = 300) -> dict[str, float]:
    url = f"{cloud.ws}?token={_websocket_token(cloud)}"

    async def run() -> list[float]:
        samples = []
        async with websockets.connect(url) as socket:
            for _ in range(n):
                started = time.perf_counter()
                await socket.send('{"action": "ping"}')
                await socket.recv()
                samples.append((time.perf_counter() - started) * 1000)
        return samples

    return summary(asyncio.run(run()))


def bench_saga(cloud: Cloud, n: int = 20) -> dict[str, Any]:
    info = cloud.info()
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=cloud.aws,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106
    )
    arn = info["state_machines"]["SelfTestStateMachine"]
    samples = []
    transitions = 0
    for _ in range(n):
        started = time.perf_counter()
        execution = sfn.start_execution(
            stateMachineArn=arn, name=str(uuid.uuid4()), input='{"run": {}}'
        )
        for _ in range(10_000):
            status = sfn.describe_execution(executionArn=execution["executionArn"])["status"]
            if status != "RUNNING":
                break
            time.sleep(0.002)
        samples.append((time.perf_counter() - started) * 1000)
        assert status == "SUCCEEDED", status
        history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        transitions = sum(1 for event in history if event["type"].endswith("StateEntered"))
    return {**summary(samples), "state_transitions": transitions}


def main() -> None:
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    results.update(cold_start())
    results["package"] = package_size()
    cloud = Cloud()
    try:
        results["localcloud_startup_s"] = round(cloud.startup_s, 2)
        results["health_latency"] = bench_health(cloud)
        results["websocket_round_trip"] = bench_websocket(cloud)
        results["selftest_saga"] = bench_saga(cloud)
        results["catalog"] = catalog.bench_catalog(cloud)
        results["checkout"] = checkout_bench.bench_checkout(cloud)  # Orders and payments (S4)
        results["chat"] = chat_bench.bench_chat(cloud)  # Chat (S7)
        results["notifications"] = notifications_bench.bench_notifications(cloud)  # S8
        results["analytics"] = analytics_bench.bench_analytics(cloud)  # Analytics (S9)
        results["reviews"] = reviews_bench.bench_reviews(cloud)  # Reviews (S5)
        results["forecast"] = forecast_bench.bench_forecast(cloud)  # Forecasting (S9)
        results["recommendations"] = recommendations_bench.bench_recommendations(cloud)  # S9
    finally:
        cloud.stop()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        print(f"{key:32} {json.dumps(value)}")
    ratio = results["cold_start_ratio"]
    print(
        f"cold start: import app is {ratio['wall']}x the bare baseline import"
        f" (CPU {ratio['cpu']}x; target <= {ratio['target']}x; validating settings alone:"
        f" {ratio['settings_floor_wall']}x)"
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
