"""The local cloud as a child process (system tests and benchmarks use it like ``make dev``)."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_ENDPOINTS = {
    "aws": re.compile(r"AWS endpoint \(moto\):\s+(\S+)"),
    "rest": re.compile(r"REST API:\s+(\S+)"),
    "websocket": re.compile(r"WebSocket API:\s+(\S+)"),
    "management": re.compile(r"@connections API:\s+(\S+)"),
}
READY = "localcloud ready"


@dataclass
class CloudProcess:
    """A running ``python -m localcloud serve`` and the endpoints it printed."""

    process: subprocess.Popen[str]
    endpoints: dict[str, str]
    startup_s: float
    output: list[str] = field(default_factory=list)

    def stop(self, timeout: float = 30) -> int:
        """Ctrl-C it and wait; returns its exit code (0 = clean stop).

        A cloud that does not stop in time is asked for every thread's stack (``serve``
        dumps them on SIGUSR1) before it is killed, and the error carries its last output.
        """
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=3)
            self.process.kill()
            self.process.wait(timeout=10)
            raise RuntimeError(
                f"local cloud did not stop within {timeout:.0f}s; its last output:\n"
                + "".join(self.output[-150:])
            ) from None


def start(extra_env: dict[str, str] | None = None, timeout: float = 60) -> CloudProcess:
    """Start the local cloud on free ports and wait for its ready line."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BAZAAR_", "LOCALCLOUD_"))
    }
    env.update(
        {
            "LOCALCLOUD_AWS_PORT": "0",
            "LOCALCLOUD_REST_PORT": "0",
            "LOCALCLOUD_WS_PORT": "0",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        for line in process.stdout or []:
            output.append(line)
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    endpoints: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            process.kill()
            raise RuntimeError("local cloud did not start:\n" + "".join(output[-60:]))
        try:
            line = lines.get(timeout=min(remaining, 1.0))
        except queue.Empty:
            continue
        for name, pattern in _ENDPOINTS.items():
            match = pattern.search(line)
            if match:
                endpoints[name] = match.group(1)
        if READY in line:
            return CloudProcess(process, endpoints, time.perf_counter() - started, output)


def client_environment(info: dict[str, Any]) -> dict[str, str]:
    """Variables that point this process's ``chalicelib`` at a running cloud.

    ``info`` is what ``GET /_localcloud/info`` answers: the same ``BAZAAR_*`` variables the
    cloud's functions run with (tables, bus, secrets' ARNs), plus its AWS endpoint.
    """
    region = str(info["region"])
    env = {k: str(v) for k, v in info["environment"].items() if k.startswith("BAZAAR_")}
    env.update(
        {
            "AWS_ENDPOINT_URL": str(info["endpoints"]["aws"]),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }
    )
    return env
