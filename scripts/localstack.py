"""`make localstack-test`: install LocalStack in its own venv, start it, run the tests, stop it.

    python -m scripts.localstack [pytest args...]

1. Finds a Python 3.13 (``$(pyenv root)/versions/3.13.*`` or ``python3.13`` on PATH;
   LocalStack 2026.3 uses 3.12+ syntax, the project runs on 3.11) and makes
   ``.venv-localstack`` with it; installs ``requirements-localstack.txt`` (again only when
   that file changes).
2. Starts ``python -m localstack.runtime.main`` without Docker on a free loopback port
   (``GATEWAY_LISTEN=127.0.0.1:PORT``, hypercorn, no DNS server, not "in Docker"); its log
   goes to ``.venv-localstack/localstack.log``.
3. Waits (bounded) until ``/_localstack/health`` answers, runs ``pytest -m localstack``
   with ``LOCALSTACK_ENDPOINT`` set, and stops LocalStack whatever happened.

Prints how long each step took. Exit code: pytest's, or 2 when LocalStack could not be
installed or started.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-localstack"
REQUIREMENTS = ROOT / "requirements-localstack.txt"
STAMP = VENV / ".installed"
LOG = VENV / "localstack.log"
START_TIMEOUT_S = 90
# LocalStack 2026.3 often hangs in "[shutdown] Stopping all services" once an SQS long poll
# has been served (seen here after a single ReceiveMessage with WaitTimeSeconds=1), so a
# graceful stop gets this long, then the process group is killed (nothing is persisted).
STOP_GRACE_S = 8


class SetupError(Exception):
    """LocalStack could not be installed or started (message says why)."""


def find_python313() -> str:
    """A Python 3.13 interpreter: pyenv's newest 3.13.x, else ``python3.13`` on PATH."""
    candidates: list[Path] = []
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run(
            [pyenv, "root"], capture_output=True, text=True, check=False
        ).stdout.strip()
        versions = Path(root, "versions") if root else None
        if versions and versions.is_dir():
            found = [p for p in versions.glob("3.13.*") if (p / "bin" / "python3.13").exists()]
            found.sort(key=lambda p: [int(x) if x.isdigit() else 0 for x in p.name.split(".")])
            candidates += [p / "bin" / "python3.13" for p in reversed(found)]
    on_path = shutil.which("python3.13")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        probe = subprocess.run(
            [str(candidate), "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.stdout.strip() == "True":
            return str(candidate)
    raise SetupError(
        "LocalStack 2026.3 needs Python 3.13 and none was found: install it with "
        "`pyenv install 3.13` (found via `pyenv root`) or put `python3.13` on PATH."
    )


def install() -> Path:
    """``.venv-localstack`` with the pinned LocalStack; returns its python."""
    python = VENV / "bin" / "python"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return python
    if not python.exists():
        interpreter = find_python313()
        print(f"localstack: creating {VENV.name} with {interpreter}", flush=True)
        subprocess.run([interpreter, "-m", "venv", str(VENV)], check=True)
    print(f"localstack: pip install -r {REQUIREMENTS.name}", flush=True)
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)], check=False
    )
    if result.returncode != 0:
        raise SetupError(f"pip install -r {REQUIREMENTS.name} failed ({result.returncode})")
    STAMP.write_text(wanted + "\n")
    return python


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(python: Path, port: int) -> subprocess.Popen[bytes]:
    """LocalStack without Docker on 127.0.0.1:port (the environment it needs for that)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "GATEWAY_LISTEN": f"127.0.0.1:{port}",
            "LOCALSTACK_HOST": f"127.0.0.1:{port}",
            "GATEWAY_SERVER": "hypercorn",
            "DNS_ADDRESS": "0",
            "OVERRIDE_IN_DOCKER": "0",
            "SQS_ENDPOINT_STRATEGY": "path",  # queue URLs on 127.0.0.1, no DNS needed
            "DISABLE_EVENTS": "1",  # no analytics calls
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "FILESYSTEM_ROOT": str(VENV / "filesystem"),
        }
    )
    log = LOG.open("wb")
    try:
        return subprocess.Popen(
            [str(python), "-m", "localstack.runtime.main"],
            cwd=VENV,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
    finally:
        log.close()


def wait_healthy(process: subprocess.Popen[bytes], endpoint: str) -> None:
    """Until ``/_localstack/health`` answers (bounded); fails early if LocalStack exits."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"LocalStack exited ({process.returncode}):\n{_log_tail()}")
        try:
            health = f"{endpoint}/_localstack/health"  # http://127.0.0.1:port, built above
            with urllib.request.urlopen(health, timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)  # polling a child process's port, not waiting in a test
    raise SetupError(f"LocalStack did not answer within {START_TIMEOUT_S} s:\n{_log_tail()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to LocalStack's process group; SIGKILL after ``STOP_GRACE_S``."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        print(f"localstack: no clean stop within {STOP_GRACE_S} s; killing it", flush=True)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_GRACE_S)


def _log_tail(lines: int = 40) -> str:
    if not LOG.exists():
        return "(no log)"
    return "\n".join(LOG.read_text(errors="replace").splitlines()[-lines:])


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # runs the ``finally`` that stops LocalStack


def main(pytest_args: list[str]) -> int:
    signal.signal(signal.SIGTERM, _terminated)
    began = time.perf_counter()
    try:
        python = install()
    except (SetupError, subprocess.CalledProcessError) as exc:
        print(f"localstack: {exc}", file=sys.stderr)
        return 2
    installed = time.perf_counter()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = start(python, port)
    try:
        try:
            wait_healthy(process, endpoint)
        except SetupError as exc:
            print(f"localstack: {exc}", file=sys.stderr)
            return 2
        started = time.perf_counter()
        print(f"localstack: LocalStack at {endpoint} (log: {LOG.relative_to(ROOT)})", flush=True)
        env = {**os.environ, "LOCALSTACK_ENDPOINT": endpoint}
        command = [sys.executable, "-m", "pytest", "-m", "localstack", "-v", "-s", *pytest_args]
        code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
        tested = time.perf_counter()
    finally:
        stop(process)
    stopped = time.perf_counter()
    print(
        f"localstack: install {installed - began:.1f} s, start {started - installed:.1f} s, "
        f"tests {tested - started:.1f} s, stop {stopped - tested:.1f} s, "
        f"total {stopped - began:.1f} s",
        flush=True,
    )
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
