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


# What a Powertools metrics provider keeps between add_metric() and the flush.
_METRIC_STATE = ("metric_set", "dimension_set", "metadata_set", "dimension_sets", "timestamp")


def isolate_metrics_per_thread(metrics: Any) -> None:
    """Make ``metrics``' (a Powertools ``Metrics``) pending metrics per thread. Idempotent.

    Powertools shares one metric set between all its instances, for one invocation at a
    time. Here consumers and the API flush at once on different threads: one thread's flush
    could serialize what another added, or find the set it had just checked emptied by
    another's flush and raise ``SchemaValidationError`` ("Must contain at least one
    metric") in the API middleware, a 500. Each thread now keeps its own set, dimensions
    (starting from the defaults) and metadata, as each Lambda container does.
    """
    provider = metrics.provider
    base = type(provider)
    if getattr(base, "_per_thread_metrics", False):
        return
    local = threading.local()

    def state(self: Any) -> dict[str, Any]:
        current: dict[str, Any] | None = getattr(local, "state", None)
        if current is None:
            current = {
                "metric_set": {},
                "dimension_set": dict(self.default_dimensions),
                "metadata_set": {},
                "dimension_sets": [],
                "timestamp": None,
            }
            local.state = current
        return current

    def attribute(name: str) -> property:
        def get(self: Any) -> Any:
            return state(self)[name]

        def put(self: Any, value: Any) -> None:
            state(self)[name] = value

        return property(get, put)

    provider.__class__ = type(
        f"PerThread{base.__name__}",
        (base,),
        {
            **{name: attribute(name) for name in _METRIC_STATE},
            "_per_thread_metrics": True,
        },
    )
