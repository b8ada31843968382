"""Notifications and the live log stream on the running local cloud, with real HTTP and
WebSocket clients: a bus event → a pushed frame on every connection and an unread count,
a duplicate → one notification, a muted category → no push; logs reach a subscribed admin
live and download; a non-admin cannot subscribe."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import websockets

from tests.fixtures.accounts import sign_in
from tests.fixtures.cloud import RunningCloud, pointed_at, wait_for

pytestmark = pytest.mark.system
PASSWORD = "Notify-Pass-2026"
FRAME_TIMEOUT = 30.0


@dataclass
class Person:
    account_id: str
    headers: dict[str, str]

    @property
    def token(self) -> str:
        return self.headers["Authorization"].removeprefix("Bearer ")


@dataclass
class World:
    cloud: RunningCloud
    http: httpx.Client
    shopper: Person
    seller: Person
    admin: Person
    shop_id: str

    def socket(self, who: Person) -> Any:
        return websockets.connect(f"{self.cloud.websocket}/?token={who.token}")

    def put(self, detail_type: str, data: dict[str, Any], event_id: str | None = None) -> str:
        event_id = event_id or str(uuid.uuid4())
        detail = {
            "metadata": {"event_id": event_id, "occurred_at": "2026-11-28T10:00:00+00:00"},
            "data": data,
        }
        result = self.cloud.client("events").put_events(
            Entries=[
                {
                    "Source": "bazaar.orders",
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                    "EventBusName": self.cloud.info()["resources"]["EventBus"],
                }
            ]
        )
        assert result["FailedEntryCount"] == 0
        return event_id

    def unread(self, who: Person) -> int:
        response = self.http.get("/notifications/unread-count", headers=who.headers)
        assert response.status_code == 200, response.text
        return int(response.json()["unread"])

    def queue_empty(self) -> bool:
        url = self.cloud.info()["resources"]["NotificationsQueue"]
        attributes = self.cloud.client("sqs").get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return all(value == "0" for value in attributes.values())


def _person(http: httpx.Client, email: str, role: str) -> Person:
    from chalicelib.identity.service import admin

    account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
    return Person(account.account_id, sign_in(http, email, PASSWORD))


@pytest.fixture(scope="module")
def world(cloud: RunningCloud) -> Iterator[World]:
    from chalicelib.dev import demo

    run = uuid.uuid4().hex[:6]
    with pointed_at(cloud), httpx.Client(base_url=cloud.rest, timeout=30) as http:
        shopper = _person(http, f"nt.shopper.{run}@notify.example.com", "user")
        seller = _person(http, f"nt.seller.{run}@notify.example.com", "seller")
        admin = _person(http, f"nt.admin.{run}@notify.example.com", "admin")
        demo.ensure_categories()
        shop = demo.ensure_shop(seller.account_id, f"Notify Shop {run}", "home")
        yield World(cloud, http, shopper, seller, admin, shop.shop_id)


def paid(world: World, order_id: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "checkout_id": f"co-{order_id}",
        "user_id": world.shopper.account_id,
        "shop_id": world.shop_id,
        "total": 4200,
        "currency": "USD",
    }


async def next_frame(socket: Any, kind: str) -> dict[str, Any]:
    """The next frame of type ``kind`` (others skipped), bounded by FRAME_TIMEOUT."""

    async def read() -> dict[str, Any]:
        while True:
            frame: dict[str, Any] = json.loads(await socket.recv())
            if frame.get("type") == kind:
                return frame

    return await asyncio.wait_for(read(), FRAME_TIMEOUT)


def test_an_order_event_is_pushed_to_every_connection_and_counted(world: World) -> None:
    before = world.unread(world.shopper), world.unread(world.seller)

    async def scenario() -> list[dict[str, Any]]:
        async with (
            world.socket(world.shopper) as phone,
            world.socket(world.shopper) as browser,
            world.socket(world.seller) as seller,
        ):
            world.put("order.paid", paid(world, "sys-order-1"))
            return [await next_frame(s, "notification") for s in (phone, browser, seller)]

    phone, browser, seller = asyncio.run(scenario())
    assert phone == browser
    assert phone["notification"]["title"] == "Order confirmed"
    assert phone["notification"]["subject_id"] == "sys-order-1"
    assert seller["notification"]["title"] == "Order paid: ready to fulfil"
    assert world.unread(world.shopper) == before[0] + 1
    assert world.unread(world.seller) == before[1] + 1
    listed = world.http.get("/notifications?unread=true&limit=1", headers=world.shopper.headers)
    assert listed.json()["items"][0]["id"] == phone["notification"]["id"]


def test_a_duplicate_event_creates_one_notification(world: World) -> None:
    before = world.unread(world.shopper)
    event_id = str(uuid.uuid4())
    # The same event delivered twice (same id), then a different one as a marker
    world.put("order.paid", paid(world, "sys-order-2"), event_id=event_id)
    world.put("order.paid", paid(world, "sys-order-2"), event_id=event_id)
    world.put("order.paid", paid(world, "sys-order-3"))
    wait_for(lambda: world.unread(world.shopper) >= before + 2, what="two notifications")
    wait_for(world.queue_empty, what="the notifications queue drained")
    assert world.unread(world.shopper) == before + 2
    items = world.http.get("/notifications?limit=10", headers=world.shopper.headers).json()["items"]
    assert [i["subject_id"] for i in items].count("sys-order-2") == 1


def test_a_muted_category_is_not_pushed(world: World) -> None:
    # Given the seller muted live pushes for orders (and the shop's channels have no email)
    muted = world.http.put(
        "/notifications/preferences",
        json={"orders": {"websocket": False}},
        headers=world.seller.headers,
    )
    assert muted.status_code == 200
    before = world.unread(world.seller)

    async def scenario() -> tuple[dict[str, Any], list[str]]:
        async with world.socket(world.shopper) as shopper, world.socket(world.seller) as seller:
            world.put("order.paid", paid(world, "sys-order-4"))
            shopper_frame = await next_frame(shopper, "notification")
            wait_for(lambda: world.unread(world.seller) == before + 1, what="stored for seller")
            wait_for(world.queue_empty, what="the notifications queue drained")
            # The seller's connection still answers, and what it got first is the pong:
            # no notification frame was pushed to it.
            await seller.send(json.dumps({"action": "ping"}))
            got = []
            while not got or got[-1] != "pong":
                got.append(json.loads(await asyncio.wait_for(seller.recv(), FRAME_TIMEOUT))["type"])
            return shopper_frame, got

    shopper_frame, seller_frames = asyncio.run(scenario())
    assert shopper_frame["notification"]["subject_id"] == "sys-order-4"
    assert seller_frames == ["pong"]
    world.http.put(
        "/notifications/preferences",
        json={"orders": {"websocket": True}},
        headers=world.seller.headers,
    )


def test_a_non_admin_cannot_subscribe_to_logs(world: World) -> None:
    async def scenario() -> dict[str, Any]:
        async with world.socket(world.shopper) as socket:
            await socket.send(json.dumps({"action": "logs.subscribe", "levels": ["error"]}))
            return await next_frame(socket, "error")

    frame = asyncio.run(scenario())
    assert frame["error"]["code"] == "FORBIDDEN"


def test_logs_reach_a_subscribed_admin_live_and_download(world: World) -> None:
    marker = uuid.uuid4().hex

    async def scenario() -> dict[str, Any]:
        async with world.socket(world.admin) as socket:
            await socket.send(json.dumps({"action": "logs.subscribe", "levels": ["error"]}))
            assert (await next_frame(socket, "logs.subscribed"))["levels"] == ["error"]
            posted = world.http.post(
                "/logs",
                json={
                    "entries": [
                        {"level": "debug", "message": f"{marker} noise"},
                        {"level": "error", "message": f"{marker} boom", "context": {"a": 1}},
                    ]
                },
                headers=world.shopper.headers,
            )
            assert posted.status_code == 202, posted.text
            while True:
                frame = await next_frame(socket, "logs")
                if any(marker in e["message"] for e in frame["entries"]):
                    return frame

    frame = asyncio.run(scenario())
    assert [e["message"] for e in frame["entries"]] == [f"{marker} boom"]
    assert frame["entries"][0]["account_id"] == world.shopper.account_id
    now = datetime.now(UTC)
    window = {"from": (now - timedelta(hours=1)).isoformat(), "to": now.isoformat()}
    ndjson = world.http.get("/admin/logs", params=window, headers=world.admin.headers)
    assert ndjson.status_code == 200
    rows = [json.loads(line) for line in ndjson.text.splitlines()]
    assert {r["message"] for r in rows} >= {f"{marker} noise", f"{marker} boom"}
    as_csv = world.http.get(
        "/admin/logs",
        params={**window, "format": "csv", "level": "error"},
        headers=world.admin.headers,
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert f"{marker} boom" in as_csv.text
    assert f"{marker} noise" not in as_csv.text
    forbidden = world.http.get("/admin/logs", params=window, headers=world.shopper.headers)
    assert forbidden.status_code == 403
