"""One log context per thread: each local invocation logs like its own Lambda container.

On AWS a container runs one invocation at a time, so Powertools keeps the appended log keys
(``function_name``, a saga's ``checkout_id``...) in one dict on its formatter. The local
cloud runs every function and the REST API in one process, on many threads at once (an SQS
poller per queue, the scheduler, a thread per HTTP request): with the one dict, an API line
carried whichever function had run (or was running) last. ``isolate_per_thread`` gives the
logger's formatter one key dict per thread, starting from the logger's default keys; each
invocation still clears its own (``inject_lambda_context(clear_state=True)``, the API
middleware), as on AWS.
"""

from __future__ import annotations

import threading
from typing import Any


def isolate_per_thread(logger: Any) -> None:
    """Make ``logger``'s (a Powertools ``Logger``) appended keys per thread. Idempotent."""
    formatter = logger.registered_formatter
    base = type(formatter)
    if getattr(base, "_per_thread_log_format", False):
        return
    local = threading.local()

    def get_format(self: Any) -> dict[str, Any]:
        current: dict[str, Any] | None = getattr(local, "log_format", None)
        if current is None:
            current = dict.fromkeys(self.log_record_order)
            current.update(self.keys_combined)
            local.log_format = current
        return current

    def set_format(self: Any, value: dict[str, Any]) -> None:
        local.log_format = value

    formatter.__class__ = type(
        f"PerThread{base.__name__}",
        (base,),
        {"log_format": property(get_format, set_format), "_per_thread_log_format": True},
    )
