"""Chat benchmark: delivery latency sender → recipient over the local WebSocket, messages
per second one conversation sustains, and the AWS calls each message costs.

Method:
- A shopper and a seller with a shop are provisioned in this process against the cloud's
  tables and sign in through ``POST /auth/login``; the conversation is created over REST.
- Latency: the shopper's socket sends ``chat.send``; the clock stops when the seller's
  socket receives that message's ``chat.message`` frame (the message was stored, the
  fan-out looked up the seller's connections and posted through ``@connections``).
  Sequential, after a warm-up.
- Throughput: one connection sends messages back to back (pipelined) until the recipient
  has them all; then both sides at once (one connection each). The bench cloud raises the
  per-connection frame limit (``BAZAAR_WEBSOCKET_RATE_LIMIT_FRAMES``; 30 per 10 s by
  default) so the server, not the limit, is measured.
- Calls per message: the same frame path (``realtime.service.handle_message`` →
  ``chat.send``) runs in this process against the cloud's tables and ``@connections``
  API, with every botocore call counted (``bench.catalog.counting_calls``). The counts
  depend on the data (connections open, participants), not on the machine.
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


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
        "max_ms": round(max(values), 2),
    }


def _people(cloud: Any) -> tuple[dict[str, str], dict[str, str], str, str, str]:
    """(shopper headers, seller headers, shopper id, seller id, conversation id)."""
    catalog.point_at(cloud)
    from chalicelib.dev import demo

    run = uuid.uuid4().hex[:6]
    demo.ensure_categories()
    with httpx.Client(base_url=cloud.rest, timeout=60) as http:
        seller_email = f"bench.chat.seller.{run}@bazaar.example.com"
        seller_id, _ = checkout_bench.person(http, seller_email, "seller")
        shop = demo.ensure_shop(seller_id, f"Bench Chat {run}", "home")
        seller = checkout_bench._sign_in(http, seller_email)
        shopper_id, shopper = checkout_bench.person(
            http, f"bench.chat.shopper.{run}@bazaar.example.com", "user"
        )
        created = http.post("/conversations", headers=shopper, json={"shop_id": shop.shop_id})
        created.raise_for_status()
        return shopper, seller, shopper_id, seller_id, str(created.json()["conversation_id"])


def _url(cloud: Any, headers: dict[str, str]) -> str:
    return f"{cloud.ws}?token={headers['Authorization'].removeprefix('Bearer ')}"


def _send_frame(cid: str, text: str) -> str:
    return json.dumps(
        {
            "action": "chat.send",
            "conversation_id": cid,
            "client_message_id": uuid.uuid4().hex,
            "text": text,
        }
    )


async def _until(socket: Any, predicate: Any) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout=60))
        if predicate(frame):
            return frame


def _latency(cloud: Any, shopper: Any, seller: Any, cid: str, n: int) -> list[float]:
    async def run() -> list[float]:
        samples = []
        async with (
            websockets.connect(_url(cloud, shopper)) as sender,
            websockets.connect(_url(cloud, seller)) as recipient,
        ):
            for i in range(n + 10):
                text = f"latency {i}"
                started = time.perf_counter()
                await sender.send(_send_frame(cid, text))
                await _until(
                    recipient,
                    lambda f, t=text: f.get("type") == "chat.message" and f["message"]["text"] == t,
                )
                if i >= 10:  # the first ten warm up
                    samples.append((time.perf_counter() - started) * 1000)
                await _until(sender, lambda f: f.get("type") == "chat.sent")
        return samples

    return asyncio.run(run())


def _throughput(cloud: Any, shopper: Any, seller: Any, cid: str, n: int, both: bool) -> float:
    """Messages per second until the other side(s) received all ``n``."""

    async def run() -> float:
        async with (
            websockets.connect(_url(cloud, shopper)) as a,
            websockets.connect(_url(cloud, seller)) as b,
        ):
            senders = [(a, b, "a"), (b, a, "b")] if both else [(a, b, "a")]
            share = n // len(senders)

            async def pump(sender: Any, tag: str) -> None:
                for i in range(share):
                    await sender.send(_send_frame(cid, f"{tag}{i}"))

            async def drain(recipient: Any, tag: str) -> None:
                seen = 0
                while seen < share:
                    frame = json.loads(await asyncio.wait_for(recipient.recv(), timeout=120))
                    if frame.get("type") == "chat.message" and frame["message"]["text"].startswith(
                        tag
                    ):
                        seen += 1

            started = time.perf_counter()
            await asyncio.gather(
                *(pump(s, tag) for s, _, tag in senders),
                *(drain(r, tag) for _, r, tag in senders),
            )
            return share * len(senders) / (time.perf_counter() - started)

    return asyncio.run(run())


def _calls_per_message(
    cloud: Any, shopper: Any, seller: Any, shopper_id: str, cid: str, n: int = 10
) -> dict[str, Any]:
    """AWS calls of one ``chat.send`` frame, the shopper and the seller each on one
    connection (the frame path in this process, against the cloud)."""
    catalog.point_at(cloud)
    import chalicelib.chat.api  # noqa: F401 - registers the chat.* actions
    from chalicelib.realtime import repository, service

    async def run() -> dict[str, float]:
        async with (
            websockets.connect(_url(cloud, shopper)) as s,
            websockets.connect(_url(cloud, seller)),
        ):
            await s.send('{"action": "ping"}')
            await s.recv()
            connection = repository.get().of_account(shopper_id)[0].connection_id
            totals: dict[str, int] = {}
            for i in range(n):
                with catalog.counting_calls() as calls:
                    await asyncio.to_thread(
                        service.handle_message, connection, _send_frame(cid, f"counted {i}")
                    )
                for key, value in calls.items():
                    totals[key] = totals.get(key, 0) + value
            return {key: value / n for key, value in sorted(totals.items())}

    per_message = asyncio.run(run())
    dynamodb = {k.split(":", 1)[1]: v for k, v in per_message.items() if k.startswith("dynamodb:")}
    connections = {
        k.split(":", 1)[1]: v
        for k, v in per_message.items()
        if k.startswith("apigatewaymanagementapi:")
    }
    return {
        "dynamodb_calls": sum(dynamodb.values()),
        "dynamodb": dynamodb,
        "connections_calls": sum(connections.values()),
        "connections": connections,
        "other": {
            k: v
            for k, v in per_message.items()
            if not k.startswith(("dynamodb:", "apigatewaymanagementapi:"))
        },
        "setup": "shopper and seller one connection each; the sender's frame counted",
    }


def bench_chat(cloud: Any, latency_n: int = 200, throughput_n: int = 300) -> dict[str, Any]:
    shopper, seller, shopper_id, _, cid = _people(cloud)
    latency = _latency(cloud, shopper, seller, cid, latency_n)
    one = _throughput(cloud, shopper, seller, cid, throughput_n, both=False)
    both = _throughput(cloud, shopper, seller, cid, throughput_n, both=True)
    return {
        "delivery_latency": _summary(latency),
        "messages_per_second_one_sender": round(one, 1),
        "messages_per_second_both_sides": round(both, 1),
        "per_message_sent": _calls_per_message(cloud, shopper, seller, shopper_id, cid),
    }


if __name__ == "__main__":  # only this part: python -m bench.chat
    from bench.__main__ import Cloud

    running = Cloud()
    try:
        print(json.dumps(bench_chat(running), indent=2))
    finally:
        running.stop()
