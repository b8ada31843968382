"""Chat end to end on the running local cloud: real WebSocket clients (``websockets``) and
real HTTP, a shopper, a seller with a shop, a stranger and an admin provisioned for this
module against the cloud's tables (no shared demo accounts), sharing the session's cloud.
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets
from PIL import Image

from tests.fixtures.accounts import sign_in
from tests.fixtures.cloud import RunningCloud, pointed_at, wait_for

pytestmark = pytest.mark.system
PASSWORD = "Chat-Pass-2026-ok"
FRAME_WAIT = 15.0  # seconds a frame may take to arrive (a bound, not a measurement)


@dataclass
class Person:
    account_id: str
    headers: dict[str, str]

    @property
    def token(self) -> str:
        return self.headers["Authorization"].split(" ", 1)[1]


@dataclass
class World:
    cloud: RunningCloud
    http: httpx.Client
    shopper: Person
    stranger: Person
    seller: Person
    admin: Person
    shop_id: str

    def conversation(self, person: Person | None = None, **subject: str) -> str:
        response = self.http.post(
            "/conversations",
            headers=(person or self.shopper).headers,
            json={"shop_id": self.shop_id, **subject},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["conversation_id"])

    def fresh_conversation(self) -> str:
        """A conversation of its own for a test: about a new product of the shop."""
        response = self.http.post(
            "/products",
            headers=self.seller.headers,
            json={
                "title": f"Chat Lamp {uuid.uuid4().hex[:6]}",
                "category": "home",
                "subcategory": "lighting",
                "regular_price": 1500,
                "stock": 3,
            },
        )
        assert response.status_code == 201, response.text
        return self.conversation(product_id=response.json()["product_id"])

    def inbox(self, person: Person) -> dict[str, Any]:
        response = self.http.get("/conversations", headers=person.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def world(cloud: RunningCloud) -> Iterator[World]:
    from chalicelib.dev import demo
    from chalicelib.identity.service import admin

    run = uuid.uuid4().hex[:6]
    with pointed_at(cloud), httpx.Client(base_url=cloud.rest, timeout=30) as http:

        def person(name: str, role: str) -> Person:
            email = f"chat.{name}.{run}@chat.example.com"
            account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
            return Person(account.account_id, sign_in(http, email, PASSWORD))

        seller = person("seller", "seller")
        demo.ensure_categories()
        shop = demo.ensure_shop(seller.account_id, f"Chat Shop {run}", "home")
        seller = Person(
            seller.account_id, sign_in(http, f"chat.seller.{run}@chat.example.com", PASSWORD)
        )
        yield World(
            cloud=cloud,
            http=http,
            shopper=person("shopper", "user"),
            stranger=person("stranger", "user"),
            seller=seller,
            admin=person("admin", "admin"),
            shop_id=shop.shop_id,
        )


class Socket:
    """A WebSocket client that keeps what it received and waits (bounded) for a frame."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.received: list[dict[str, Any]] = []
        self._unread: list[dict[str, Any]] = []

    async def send(self, **frame: Any) -> None:
        await self.socket.send(json.dumps(frame))

    async def expect(
        self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
    ) -> dict[str, Any]:
        """The first frame of type ``kind`` (matching ``where``) not yet taken."""
        deadline = time.monotonic() + FRAME_WAIT
        while True:
            for frame in self._unread:
                if frame.get("type") == kind and where(frame):
                    self._unread.remove(frame)
                    return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind} frame; received {self.received[-5:]}")
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), timeout=remaining))
            self.received.append(frame)
            self._unread.append(frame)

    def taken(self, kind: str) -> list[dict[str, Any]]:
        return [frame for frame in self.received if frame.get("type") == kind]

    async def round_trip(self) -> None:
        """Everything sent to this socket before now has arrived (a ping's pong follows it)."""
        await self.send(action="ping")
        await self.expect("pong")


def url(world: World, person: Person) -> str:
    return f"{world.cloud.websocket}/?token={person.token}"


def connect(world: World, person: Person) -> Any:
    return websockets.connect(url(world, person), max_size=2**20)


async def say(
    socket: Socket, cid: str, text: str, client_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    client_id = client_id or uuid.uuid4().hex
    await socket.send(
        action="chat.send", conversation_id=cid, client_message_id=client_id, text=text, **extra
    )
    ack = await socket.expect("chat.sent", lambda f: f["client_message_id"] == client_id)
    return ack


def texts(frames: list[dict[str, Any]], cid: str) -> list[str]:
    return [f["message"]["text"] for f in frames if f["message"]["conversation_id"] == cid]


# ---------- chat both ways, several connections, typing, receipts, unread ----------
def test_shopper_and_seller_chat_both_ways_with_typing_receipts_and_unread_counts(
    world: World,
) -> None:
    cid = world.conversation()

    async def scenario() -> None:
        async with (
            connect(world, world.shopper) as p,
            connect(world, world.shopper) as lap,
            connect(world, world.seller) as s,
        ):
            phone, laptop, shop = Socket(p), Socket(lap), Socket(s)
            # The shopper writes from the phone: the seller and the laptop get it
            ack = await say(phone, cid, "Hello, is the lamp in stock?")
            assert ack["duplicate"] is False
            message_id = ack["message"]["message_id"]
            got = await shop.expect(
                "chat.message", lambda f: f["message"]["message_id"] == message_id
            )
            assert got["message"]["text"] == "Hello, is the lamp in stock?"
            assert got["message"]["sender_side"] == "shopper"
            await laptop.expect("chat.message", lambda f: f["message"]["message_id"] == message_id)
            # The seller types, then answers: both shopper connections see both
            await shop.send(action="chat.typing", conversation_id=cid, typing=True)
            for socket in (phone, laptop):
                typing = await socket.expect("chat.typing")
                assert (typing["account_id"], typing["typing"]) == (world.seller.account_id, True)
            reply = await say(shop, cid, "Yes, three left.")
            reply_id = reply["message"]["message_id"]
            for socket in (phone, laptop):
                await socket.expect(
                    "chat.message", lambda f: f["message"]["message_id"] == reply_id
                )
            # The phone never got its own message back, only the ack
            await phone.round_trip()
            assert message_id not in [
                f["message"]["message_id"] for f in phone.taken("chat.message")
            ]
            # Unread: one for the shopper (the reply), one for the shop (the question)
            mine = world.inbox(world.shopper)
            entry = next(c for c in mine["items"] if c["conversation_id"] == cid)
            assert (entry["unread"], entry["last_message"]["message_id"]) == (1, reply_id)
            assert mine["unread_total"] >= 1
            theirs = next(
                c for c in world.inbox(world.seller)["items"] if c["conversation_id"] == cid
            )
            assert theirs["unread"] == 1
            # The shopper reads up to the reply: the seller gets the receipt, both shopper
            # connections their new unread count
            before = mine["unread_total"]
            await phone.send(action="chat.read", conversation_id=cid, up_to_message_id=reply_id)
            receipt = await shop.expect("chat.read")
            assert (receipt["reader_id"], receipt["up_to_message_id"]) == (
                world.shopper.account_id,
                reply_id,
            )
            for socket in (phone, laptop):
                own = await socket.expect("chat.read")
                assert (own["unread"], own["unread_total"]) == (0, before - 1)
            after = world.inbox(world.shopper)
            assert next(c for c in after["items"] if c["conversation_id"] == cid)["unread"] == 0
            assert after["unread_total"] == before - 1
            # The conversation view shows the seller online
            view = world.http.get(f"/conversations/{cid}", headers=world.shopper.headers).json()
            presence = {p["account_id"]: p for p in view["participants"]}
            assert presence[world.seller.account_id]["online"] is True
            assert view["read_up_to"] == reply_id
            assert view["other_read_up_to"] is None

    asyncio.run(scenario())
    # History over REST, newest first
    history = world.http.get(f"/conversations/{cid}/messages", headers=world.seller.headers).json()
    assert [m["text"] for m in history["items"][:2]] == [
        "Yes, three left.",
        "Hello, is the lamp in stock?",
    ]


def test_a_resent_client_message_id_is_stored_once(world: World) -> None:
    cid = world.fresh_conversation()

    async def scenario() -> None:
        async with connect(world, world.shopper) as p, connect(world, world.seller) as s:
            phone, shop = Socket(p), Socket(s)
            first = await say(phone, cid, "only once", client_id="resend-1")
            again = await say(phone, cid, "only once", client_id="resend-1")
            assert again["duplicate"] is True
            assert again["message"]["message_id"] == first["message"]["message_id"]
            await say(phone, cid, "next", client_id="resend-2")
            await shop.expect("chat.message", lambda f: f["message"]["text"] == "next")
            assert texts(shop.taken("chat.message"), cid) == ["only once", "next"]

    asyncio.run(scenario())
    history = world.http.get(f"/conversations/{cid}/messages", headers=world.shopper.headers).json()
    assert [m["text"] for m in history["items"]] == ["next", "only once"]


# ---------- nothing lost on reconnect ----------
def test_a_participant_who_reconnects_gets_every_missed_message_once_in_order(world: World) -> None:
    cid = world.fresh_conversation()

    async def scenario() -> None:
        async with connect(world, world.seller) as s:
            shop = Socket(s)
            async with connect(world, world.shopper) as p:
                phone = Socket(p)
                first = await say(shop, cid, "message 0")
                seen = await phone.expect("chat.message")
                assert seen["message"]["message_id"] == first["message"]["message_id"]
            # The shopper is gone; the seller keeps writing
            wait_for(
                lambda: not presence_of(world, cid)[world.shopper.account_id]["online"],
                what="the shopper offline",
            )
            missed = [
                (await say(shop, cid, f"message {n}"))["message"]["message_id"]
                for n in range(1, 13)
            ]
            assert presence_of(world, cid)[world.shopper.account_id]["last_seen"] is not None
            # The shopper comes back and resumes from the last message it saw
            async with connect(world, world.shopper) as p2:
                back = Socket(p2)
                await back.send(action="chat.resume", cursors={cid: seen["message"]["message_id"]})
                resumed = await back.expect("chat.resumed")
                replayed = [f["message"]["message_id"] for f in back.taken("chat.message")]
                assert replayed == missed
                assert (resumed["replayed"], resumed["more"]) == (12, False)
                assert resumed["cursors"] == {cid: missed[-1]}
                # Messages keep coming live after the resume
                live = await say(shop, cid, "still here?")
                await back.expect(
                    "chat.message",
                    lambda f: f["message"]["message_id"] == live["message"]["message_id"],
                )
                # Resuming again from the new cursor replays nothing
                await back.send(action="chat.resume", cursors={cid: live["message"]["message_id"]})
                assert (await back.expect("chat.resumed"))["replayed"] == 0

    asyncio.run(scenario())


def presence_of(world: World, cid: str) -> dict[str, dict[str, Any]]:
    view = world.http.get(f"/conversations/{cid}", headers=world.seller.headers).json()
    return {p["account_id"]: p for p in view["participants"]}


# ---------- who may see what ----------
def test_a_non_participant_can_neither_read_nor_send(world: World) -> None:
    cid = world.conversation()
    for path in (f"/conversations/{cid}", f"/conversations/{cid}/messages"):
        for person in (world.stranger, world.admin):
            response = world.http.get(path, headers=person.headers)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["code"] == "NOT_FOUND"

    async def scenario() -> None:
        async with connect(world, world.stranger) as x:
            eve = Socket(x)
            for frame in (
                {
                    "action": "chat.send",
                    "conversation_id": cid,
                    "client_message_id": "e1",
                    "text": "hi",
                },
                {"action": "chat.typing", "conversation_id": cid},
                {"action": "chat.resume", "cursors": {cid: None}},
            ):
                await eve.send(**frame, request_id=frame["action"])
                error = await eve.expect(
                    "error", lambda f, a=frame["action"]: f.get("request_id") == a
                )
                assert error["error"]["code"] == "NOT_FOUND"
            assert eve.taken("chat.message") == []

    asyncio.run(scenario())


def test_blocked_reported_and_read_by_an_admin(world: World) -> None:
    cid = world.fresh_conversation()
    blocked = world.http.put(f"/conversations/{cid}/block", headers=world.seller.headers)
    assert blocked.status_code == 200
    assert blocked.json()["blocked_by_you"] is True

    async def scenario() -> None:
        async with connect(world, world.shopper) as p:
            phone = Socket(p)
            await phone.send(
                action="chat.send", conversation_id=cid, client_message_id="b1", text="hey"
            )
            assert (await phone.expect("error"))["error"]["code"] == "CONVERSATION_BLOCKED"

    asyncio.run(scenario())
    reported = world.http.post(
        f"/conversations/{cid}/report",
        headers=world.shopper.headers,
        json={"reason": "rude seller"},
    )
    assert reported.status_code == 200
    listed = world.http.get("/admin/conversations/reported", headers=world.admin.headers).json()
    assert cid in [c["conversation_id"] for c in listed["items"]]
    assert (
        world.http.get(f"/conversations/{cid}/messages", headers=world.admin.headers).status_code
        == 200
    )
    assert (
        world.http.get("/admin/conversations/reported", headers=world.shopper.headers).status_code
        == 403
    )


# ---------- a connection killed without $disconnect ----------
def test_a_connection_killed_without_disconnect_is_cleaned_up_at_the_next_send(
    world: World,
) -> None:
    cid = world.fresh_conversation()
    table = world.cloud.info()["resources"]["ConnectionsTable"]
    dynamodb = world.cloud.client("dynamodb")
    dead = "DEADconnAA="
    dynamodb.put_item(
        TableName=table,
        Item={
            "connection_id": {"S": dead},
            "user_id": {"S": world.seller.account_id},
            "role": {"S": "seller"},
            "connected_at": {"S": "2026-11-21T10:00:00.000000+0000"},
            "expires_at": {"N": str(int(time.time()) + 3600)},
        },
    )

    async def scenario() -> None:
        async with connect(world, world.shopper) as p:
            await say(Socket(p), cid, "anyone there?")

    asyncio.run(scenario())
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"connection_id": {"S": dead}})


# ---------- images ----------
def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` pixels, with almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def upload(world: World, cid: str, data: bytes) -> str:
    grant = world.http.post(
        f"/conversations/{cid}/images",
        headers=world.shopper.headers,
        json={"content_type": "image/png", "size": len(data)},
    )
    assert grant.status_code == 201, grant.text
    body = grant.json()
    sent = httpx.post(
        body["url"], data=body["fields"], files={"file": ("a.png", data, "image/png")}
    )
    assert sent.status_code in (200, 201, 204), sent.text
    return str(body["image_id"])


def test_an_image_message_is_checked_and_a_non_image_or_a_bomb_refused(world: World) -> None:
    cid = world.fresh_conversation()
    refused = {
        "not an image": upload(world, cid, b"<html>not an image</html>"),
        "decompression bomb": upload(world, cid, bomb_png(20_000, 20_000)),
    }
    good = upload(world, cid, png(64, 48))

    async def scenario() -> None:
        async with connect(world, world.shopper) as p, connect(world, world.seller) as s:
            phone, shop = Socket(p), Socket(s)
            for reason, image_id in refused.items():
                await phone.send(
                    action="chat.send",
                    conversation_id=cid,
                    client_message_id=image_id,
                    image_id=image_id,
                )
                error = await phone.expect("error")
                assert error["error"]["code"] == "IMAGE_REJECTED"
                assert reason in error["error"]["details"]["reason"]
            ack = await say(phone, cid, "the label", image_id=good)
            image = ack["message"]["image"]
            assert (ack["message"]["kind"], image["width"], image["height"]) == ("image", 64, 48)
            got = await shop.expect("chat.message")
            assert got["message"]["image"]["url"].startswith("http")
            fetched = httpx.get(got["message"]["image"]["url"])
            assert fetched.status_code == 200
            assert Image.open(io.BytesIO(fetched.content)).format == "WEBP"

    asyncio.run(scenario())
    history = world.http.get(f"/conversations/{cid}/messages", headers=world.shopper.headers).json()
    assert [m["kind"] for m in history["items"]] == ["image"]


# ---------- bad frames and floods ----------
def test_oversized_non_json_and_flooding_frames_get_error_frames_not_a_closed_socket(
    world: World,
) -> None:
    cid = world.conversation()

    async def scenario() -> None:
        async with connect(world, world.shopper) as p:
            phone = Socket(p)
            await phone.socket.send(json.dumps({"action": "chat.send", "text": "x" * 40_000}))
            assert (await phone.expect("error"))["error"]["code"] == "PAYLOAD_TOO_LARGE"
            await phone.socket.send("this is not json")
            assert (await phone.expect("error"))["error"]["code"] == "VALIDATION_FAILED"
            await phone.send(
                action="chat.send", conversation_id=cid, client_message_id="long", text="y" * 5000
            )
            assert (await phone.expect("error"))["error"]["code"] == "VALIDATION_FAILED"
            await phone.round_trip()
        async with connect(world, world.shopper) as p2:
            flood = Socket(p2)
            # 100 frames: however the fixed windows fall, one holds more than 30 (the limit)
            for n in range(100):
                await flood.send(action="ping", request_id=f"f{n}")
            limited = await flood.expect("error")
            assert limited["error"]["code"] == "RATE_LIMITED"
            assert limited["error"]["retry_after"] >= 1
            # Still open: the server keeps answering (pongs of the frames within the limit)
            assert flood.socket.close_code is None
            await flood.expect("pong")

    asyncio.run(scenario())
