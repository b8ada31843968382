"""The API Lambda ships without the ML layer: importing it loads no inference package (the
review-sentiment function alone has the layer: onnxruntime, numpy, tokenizers)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.fixtures.aws import ROOT


def test_the_api_imports_no_inference_package() -> None:
    probe = (
        "import sys, app; "
        "print(sorted(m for m in ('onnxruntime', 'numpy', 'tokenizers') if m in sys.modules))"
    )
    env = {**os.environ, "BAZAAR_STAGE": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
