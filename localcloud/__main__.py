"""``python -m localcloud``: run the local cloud (``serve``) or one handler (``invoke``)."""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Before moto, Chalice and the app load (below, lazily): the banner's time counts them too.
STARTED = time.perf_counter()

if TYPE_CHECKING:
    from localcloud.config import LocalCloudConfig


def serve(config: LocalCloudConfig) -> int:
    from localcloud.cloud import LocalCloud

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # `kill -USR1 <pid>` prints every thread's stack: why a stop or a request hangs.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    cloud = LocalCloud(config)
    try:
        # The REST and WebSocket ports answer 503 until the demo data is in; "ready" (the
        # line tools wait for) is printed only then, with the time since this process began.
        endpoints = cloud.start(hold=True, started=STARTED)
        print(f"AWS endpoint (moto): {endpoints.aws}", flush=True)
        print(f"REST API:            {endpoints.rest}   (docs: {endpoints.rest}/docs)", flush=True)
        print(f"WebSocket API:       {endpoints.websocket}", flush=True)
        print(f"@connections API:    {endpoints.websocket_management}", flush=True)
        if config.seed:
            from localcloud import seed

            print("seeding demo data (the APIs answer 503 until it is done)", flush=True)
            seeding = time.perf_counter()
            counts = seed.seed_demo_data(history=config.seed_history)
            cloud.timings["seed_s"] = time.perf_counter() - seeding
            print(f"seeded in {cloud.timings['seed_s']:.2f}s: {json.dumps(counts)}", flush=True)
        cloud.open()
        print(f"localcloud ready in {cloud.timings['ready_s']:.2f}s (Ctrl-C stops)", flush=True)
        # Never a wait without a timeout: the kernel may hand SIGINT to any thread, and the
        # Python handler runs only when the main thread runs; blocked on a lock for good, it
        # would never see Ctrl-C (the cloud then did not stop, once in a while under load).
        while not stop.wait(timeout=0.5):
            pass
    finally:
        print("localcloud stopping", flush=True)
        stopping = time.perf_counter()
        cloud.stop()
        print(f"localcloud stopped in {time.perf_counter() - stopping:.2f}s", flush=True)
    return 0


def invoke(config: LocalCloudConfig, function: str, event_path: str) -> int:
    try:
        event: Any = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except OSError as error:
        print(f"invoke: cannot read the event file {event_path}: {error.strerror}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"invoke: {event_path} is not JSON: {error}", file=sys.stderr)
        return 2
    from localcloud.cloud import LocalCloud

    config = config.model_copy(update={"aws_port": 0, "rest_port": 0, "ws_port": 0})
    cloud = LocalCloud(config)
    try:
        cloud.start()
        names = sorted(cloud.runtime.functions)
        matches = [n for n in names if n == function or n.endswith(f"-{function}")]
        if len(matches) != 1:
            print(f"unknown function {function!r}; known: {', '.join(names)}", file=sys.stderr)
            return 2
        result = cloud.runtime.invoke(matches[0], event)
        print(json.dumps(result.error if result.failed else result.payload, indent=2, default=str))
        return 1 if result.failed else 0
    finally:
        cloud.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcloud", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the local cloud until Ctrl-C")
    run = sub.add_parser("invoke", help="run one function with a sample event")
    run.add_argument("function", help="function name, e.g. event-archive or api-handler")
    run.add_argument("event", help="path of a JSON event, e.g. events/event_archive_sqs.json")
    args = parser.parse_args(argv)
    from localcloud.config import LocalCloudConfig

    config = LocalCloudConfig()
    if args.command == "invoke":
        return invoke(config, args.function, args.event)
    return serve(config)


if __name__ == "__main__":
    code = main()
    # Everything is stopped; after a big load moto holds millions of objects, and letting
    # the interpreter free them one by one took ~27 s at 10,000 products. Skip that.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
