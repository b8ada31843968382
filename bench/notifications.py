"""Notifications benchmark: event on the bus → notification pushed, and the fan-out of one
notification to 100 open connections.

Method: a shopper is provisioned in this process against the cloud's tables (as
``bench.catalog`` does) and opens WebSocket connections through the cloud's real
WebSocket port. Each round puts one ``order.paid`` event for that shopper (a new order id,
an unknown shop: no staff) on the bus with ``PutEvents`` and times, from just before the
call, when each connection receives the ``notification`` frame (every socket is read by
its own task, so arrival times are not serialized by the reader). The path measured is
the whole production path: EventBridge rule → SQS → the local poller → the consumer
(rule, preferences read, receipt + notification transaction, connections Query, one
``@connections`` POST per connection) → the local WebSocket gateway.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from typing import Any

import httpx
import websockets

from bench import catalog
from bench import checkout as checkout_bench


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(values),
        "median": round(statistics.median(values), 1),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
        "max": round(ordered[-1], 1),
    }


def _put(events: Any, bus: str, account_id: str, order_id: str) -> None:
    detail = {
        "metadata": {"event_id": str(uuid.uuid4()), "occurred_at": "2026-11-28T10:00:00+00:00"},
        "data": {
            "order_id": order_id,
            "checkout_id": f"co-{order_id}",
            "user_id": account_id,
            "shop_id": "bench-no-such-shop",
            "total": 1999,
            "currency": "USD",
        },
    }
    result = events.put_events(
        Entries=[
            {
                "Source": "bazaar.orders",
                "DetailType": "order.paid",
                "Detail": json.dumps(detail),
                "EventBusName": bus,
            }
        ]
    )
    assert result["FailedEntryCount"] == 0


async def _rounds(
    url: str, connections: int, rounds: int, put: Any, timeout: float = 60
) -> list[list[float]]:
    """Per round, each connection's ms from just before PutEvents to its frame."""
    sockets = [await websockets.connect(url, max_queue=None) for _ in range(connections)]
    try:
        results: list[list[float]] = []
        for n in range(rounds):
            order_id = f"bench-{uuid.uuid4().hex[:12]}"

            async def wait(socket: Any, started: float, order_id: str = order_id) -> float:
                while True:
                    frame = json.loads(await socket.recv())
                    if (
                        frame.get("type") == "notification"
                        and frame["notification"]["subject_id"] == order_id
                    ):
                        return (time.perf_counter() - started) * 1000

            started = time.perf_counter()
            waiters = [asyncio.create_task(wait(s, started)) for s in sockets]
            await asyncio.get_running_loop().run_in_executor(None, put, order_id)
            times = await asyncio.wait_for(asyncio.gather(*waiters), timeout)
            if n:  # the first round warms the consumer up
                results.append(list(times))
        return results
    finally:
        for socket in sockets:
            await socket.close()


def bench_notifications(cloud: Any, fanout: int = 100, rounds: int = 21) -> dict[str, Any]:
    catalog.point_at(cloud)
    events = checkout_bench.cloud_client(cloud, "events")
    bus = cloud.info()["resources"]["EventBus"]
    with httpx.Client(base_url=cloud.rest, timeout=60) as http:
        email = f"bench.notify.{uuid.uuid4().hex[:8]}@bazaar.example.com"
        account_id, headers = checkout_bench.person(http, email, "user")
    url = f"{cloud.ws}?token={headers['Authorization'].removeprefix('Bearer ')}"

    def put(order_id: str) -> None:
        _put(events, bus, account_id, order_id)

    single = asyncio.run(_rounds(url, 1, rounds, put))
    many = asyncio.run(_rounds(url, fanout, max(6, rounds // 2), put))
    return {
        "bus_to_push_ms": _ms([times[0] for times in single]),
        "fanout_connections": fanout,
        "fanout_first_frame_ms": _ms([min(times) for times in many]),
        "fanout_last_frame_ms": _ms([max(times) for times in many]),
        "fanout_spread_ms": _ms([max(times) - min(times) for times in many]),
        "calls_per_notification": {
            "dynamodb": "1 GetItem (preferences) + 1 TransactWriteItems (receipt + notification)"
            " + 1 Query (the receiver's connections)",
            "connections_api": "1 PostToConnection per open connection",
        },
    }
