"""Cold start: the API module leaves heavy libraries to the requests that need them.

Each check imports ``app`` in a fresh interpreter, so this test session's own imports
cannot hide an eager import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAZY = ["stripe", "argon2", "jwt", "aws_xray_sdk", "PIL"]


def _loaded_after_import_app(**env: str) -> list[str]:
    code = (
        "import json, sys; import app; "
        f"print(json.dumps([name for name in {LAZY!r} if name in sys.modules]))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL"}
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "BAZAAR_STAGE": "test", "AWS_DEFAULT_REGION": "us-east-1", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_import_app_loads_no_payment_password_token_tracing_or_image_library() -> None:
    # Given a fresh interpreter, outside Lambda (tracing off, as Powertools decides)
    # When it imports the API module
    loaded = _loaded_after_import_app()

    # Then Stripe, argon2, PyJWT, the X-Ray SDK and Pillow are not loaded yet
    assert loaded == []


def test_on_lambda_with_tracing_on_the_api_still_starts_the_xray_tracer() -> None:
    # Given a Lambda environment where Powertools traces (tracing not disabled)
    # When the API module is imported
    loaded = _loaded_after_import_app(LAMBDA_TASK_ROOT=str(ROOT))

    # Then the X-Ray SDK is loaded (the tracer patched boto3), and nothing else heavy
    assert loaded == ["aws_xray_sdk"]


def test_on_lambda_with_tracing_disabled_the_xray_sdk_stays_out() -> None:
    # Given a Lambda environment with POWERTOOLS_TRACE_DISABLED
    # When the API module is imported
    loaded = _loaded_after_import_app(LAMBDA_TASK_ROOT=str(ROOT), POWERTOOLS_TRACE_DISABLED="1")

    # Then the X-Ray SDK is not loaded
    assert loaded == []
