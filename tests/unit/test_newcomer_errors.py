"""Command-line tools a newcomer runs answer a mistake with one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_invoke_with_a_missing_event_file_says_so_in_one_line() -> None:
    # When a handler is invoked with an event file that does not exist
    result = run("-m", "localcloud", "invoke", "event-archive", "events/no_such_event.json")
    # Then one line names the file, and the exit status says it failed
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "invoke: cannot read the event file events/no_such_event.json: No such file or directory"
    ]


def test_invoke_with_an_event_that_is_not_json_says_so(tmp_path: Path) -> None:
    broken = tmp_path / "event.json"
    broken.write_text("{", encoding="utf-8")
    result = run("-m", "localcloud", "invoke", "event-archive", str(broken))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"invoke: {broken} is not JSON")


def test_bootstrap_admin_without_aws_settings_says_what_to_set(tmp_path: Path) -> None:
    # Given a shell with no AWS credentials, region or endpoint
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "BAZAAR_", "POWERTOOLS_"))
    }
    env.update(
        {
            "HOME": str(tmp_path),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    # When the first admin is bootstrapped
    result = run(
        "-m",
        "chalicelib.identity.bootstrap_admin",
        "--email",
        "ops@example.com",
        "--password-stdin",
        env=env,
    )
    # Then it fails with one line saying what to set
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("bootstrap_admin:")]
    assert len(lines) == 1
    assert "cannot reach the identity table" in lines[0]
    assert "AWS_ENDPOINT_URL" in lines[0]
