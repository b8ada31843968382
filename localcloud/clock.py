"""A faster clock for Step Functions Retry intervals (tests set LOCALCLOUD_TIME_SCALE).

moto's ASL interpreter really sleeps between retries; scaling that sleep keeps the
Retry semantics (attempts, backoff order) while a test of three retries takes
milliseconds instead of seconds.
"""

from __future__ import annotations

import time
import types

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl


def scale_step_functions(scale: float) -> None:
    """Multiply every Retry interval of the Step Functions interpreter by ``scale``."""
    if scale == 1.0:
        retrier_decl.time = time  # type: ignore[attr-defined]
        return
    retrier_decl.time = types.SimpleNamespace(  # type: ignore[attr-defined,assignment]
        sleep=lambda seconds: time.sleep(seconds * scale), time=time.time, monotonic=time.monotonic
    )
