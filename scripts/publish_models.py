"""Upload the committed trained models (``models/<name>/<version>/``) to a models bucket.

``python -m scripts.publish_models <bucket>`` after deploying the stack to AWS (its
``ModelsBucket``); the local cloud does the same by itself after deploying.
"""

from __future__ import annotations

import sys
from pathlib import Path

from chalicelib.core import model_store

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m scripts.publish_models <models bucket>")
    print(model_store.publish_all(ROOT / "models", bucket=sys.argv[1]))
