"""A small chat client for ``make dev``: run it in two terminals, as the demo shopper and
as the demo seller, and type.

    .venv/bin/python -m chalicelib.dev.chat_client shopper   # writes to Demo Sneaker Barn
    .venv/bin/python -m chalicelib.dev.chat_client seller    # answers the shop's newest chat

Lines you type are sent (``chat.send`` with a fresh client message id, resent with the
same id if the connection drops before the ``chat.sent`` ack); what arrives is printed and
marked read (``chat.read``). ``/typing`` tells the other side you are typing, ``/who``
shows presence, ``/history`` the last messages, ``/quit`` leaves. The client pings every
5 minutes (API Gateway closes a connection idle for 10) and, when the connection closes
(a restart, API Gateway's 2-hour limit), reconnects and sends ``chat.resume`` with the
last message id it saw, so nothing is missed. The protocol: docs/realtime.md.

Development only: ``chalicelib/dev`` is not in the Lambda bundle.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import uuid
from typing import Any

import httpx
import websockets

DEMO = {
    "shopper": ("shopper@bazaar.example.com", "Demo-Buyer-Pass-2026"),
    "seller": ("seller@bazaar.example.com", "Demo-Store-Pass-2026"),
}
DEMO_SHOP = "Demo Sneaker Barn"
KEEPALIVE_SECONDS = 300
RECONNECT_ATTEMPTS = 30


class ChatClient:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.http = httpx.Client(base_url=args.rest, timeout=30)
        self.token = ""
        self.refresh_token = ""
        self.account_id = ""
        self.conversation_id = ""
        self.cursor: str | None = None  # the last message id seen
        self.pending: dict[str, str] = {}  # client message id → text, until acked
        self.line: asyncio.Future[str] | None = None  # the stdin line being read
        # A message stored while a resume runs can come live and in the replay: ids are
        # unique, so show each once.
        self.seen: set[str] = set()
        self.unread: str | None = None  # the newest message of the other side not marked read

    # ---------- REST ----------
    def sign_in(self) -> None:
        email, password = (
            self.args.email or DEMO[self.args.role][0],
            self.args.password or (DEMO[self.args.role][1]),
        )
        response = self.http.post("/auth/login", json={"email": email, "password": password})
        response.raise_for_status()
        self._use(response.json())

    def refresh(self) -> None:
        """A fresh access token for the next connection (they last 15 minutes)."""
        response = self.http.post("/auth/refresh", json={"refresh_token": self.refresh_token})
        if response.status_code == 200:
            self._use(response.json())
        else:  # the session ended: sign in again
            self.sign_in()

    def _use(self, tokens: dict[str, Any]) -> None:
        self.token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]
        self.account_id = tokens["account"]["account_id"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def choose_conversation(self) -> None:
        if self.args.conversation:
            self.conversation_id = self.args.conversation
        elif self.args.role == "shopper":
            shop_id = self.args.shop or self._demo_shop()
            response = self.http.post("/conversations", json={"shop_id": shop_id})
            response.raise_for_status()
            self.conversation_id = response.json()["conversation_id"]
        else:
            inbox = self.http.get("/conversations", params={"limit": 1}).json()
            if not inbox["items"]:
                sys.exit("The shop has no conversation yet: start the shopper's client first.")
            self.conversation_id = inbox["items"][0]["conversation_id"]
        print(f"conversation {self.conversation_id}  (/who, /typing, /history, /quit)")

    def _demo_shop(self) -> str:
        cursor = None
        for _ in range(50):  # bounded: pages of the shop list
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = self.http.get("/shops", params=params).json()
            for shop in page["items"]:
                if shop["name"] == DEMO_SHOP:
                    return str(shop["shop_id"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        sys.exit(f"No shop named {DEMO_SHOP!r}: is make dev running with its demo data?")

    def show_history(self) -> None:
        page = self.http.get(
            f"/conversations/{self.conversation_id}/messages", params={"limit": 10}
        )
        for message in reversed(page.json()["items"]):
            if message["message_id"] not in self.seen:
                self.seen.add(message["message_id"])
                self.print_message(message)
            self.cursor = max(self.cursor or "", message["message_id"])

    def show_presence(self) -> None:
        view = self.http.get(f"/conversations/{self.conversation_id}").json()
        for person in view["participants"]:
            state = "online" if person["online"] else f"last seen {person['last_seen'] or 'never'}"
            print(f"  {person['side']:8} {person['account_id'][:8]}  {state}")

    # ---------- WebSocket ----------
    def print_message(self, message: dict[str, Any]) -> None:
        who = "you" if message["sender_id"] == self.account_id else message["sender_side"]
        body = message["text"] or ""
        if message.get("image"):
            body = f"[image {message['image']['width']}x{message['image']['height']}] {body}"
        print(f"[{message['sent_at'][11:19]}] {who}: {body}")

    async def run(self) -> None:
        self.show_history()
        url = f"{self.args.ws}/?token={self.token}"
        for attempt in range(RECONNECT_ATTEMPTS):
            try:
                async with websockets.connect(url) as socket:
                    if attempt:
                        print("(reconnected; catching up)")
                    await socket.send(
                        json.dumps(
                            {
                                "action": "chat.resume",
                                "cursors": {self.conversation_id: self.cursor},
                            }
                        )
                    )
                    for client_id, text in list(self.pending.items()):  # resend, same ids
                        await self.send_text(socket, text, client_id)
                    done = await self.session(socket)
                    if done:
                        return
            except (OSError, websockets.ConnectionClosed, websockets.InvalidStatus) as error:
                print(f"(connection lost: {error}; reconnecting)")
            await asyncio.sleep(min(2**attempt, 30))
            self.refresh()
            url = f"{self.args.ws}/?token={self.token}"
        print("giving up")

    async def session(self, socket: Any) -> bool:
        """Until the user quits (True) or the connection ends (False: reconnect)."""
        reader = asyncio.create_task(self.receive(socket))
        keepalive = asyncio.create_task(self.keepalive(socket))
        try:
            while True:
                if self.line is None:
                    self.line = asyncio.ensure_future(asyncio.to_thread(sys.stdin.readline))
                waiting: set[asyncio.Future[Any]] = {self.line, reader}
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if reader in done:
                    reader.result()  # raises ConnectionClosed when it broke
                    return False
                line, self.line = self.line.result(), None
                if not line or line.strip() == "/quit":  # end of input, or /quit
                    return True
                await self.command(socket, line.strip())
        finally:
            reader.cancel()
            keepalive.cancel()

    async def command(self, socket: Any, line: str) -> None:
        if line == "/who":
            self.show_presence()
        elif line == "/history":
            self.show_history()
        elif line == "/typing":
            payload = {"action": "chat.typing", "conversation_id": self.conversation_id}
            await socket.send(json.dumps(payload))
        elif line:
            await self.send_text(socket, line, uuid.uuid4().hex)

    async def send_text(self, socket: Any, text: str, client_id: str) -> None:
        self.pending[client_id] = text
        frame = {
            "action": "chat.send",
            "conversation_id": self.conversation_id,
            "client_message_id": client_id,
            "text": text,
        }
        await socket.send(json.dumps(frame))

    async def mark_read(self, socket: Any) -> None:
        """One chat.read up to the newest message of the other side (every frame counts
        against the connection's rate limit)."""
        if self.unread:
            read = {
                "action": "chat.read",
                "conversation_id": self.conversation_id,
                "up_to_message_id": self.unread,
            }
            self.unread = None
            await socket.send(json.dumps(read))

    async def keepalive(self, socket: Any) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            await socket.send(json.dumps({"action": "ping"}))

    async def receive(self, socket: Any) -> None:
        async for raw in socket:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "chat.message":
                message = frame["message"]
                if message["conversation_id"] != self.conversation_id:
                    continue
                if message["message_id"] in self.seen:
                    continue
                self.seen.add(message["message_id"])
                self.print_message(message)
                self.cursor = max(self.cursor or "", message["message_id"])
                if message["sender_id"] != self.account_id:
                    self.unread = message["message_id"]
                    if not frame.get("replayed"):  # a replay is marked read once, at its end
                        await self.mark_read(socket)
            elif kind == "chat.sent":
                self.pending.pop(frame["client_message_id"], None)
                self.seen.add(frame["message"]["message_id"])
                self.cursor = max(self.cursor or "", frame["message"]["message_id"])
            elif kind == "chat.typing":
                print(f"  ({frame['side']} is typing…)")
            elif kind == "chat.read" and frame["reader_id"] != self.account_id:
                print(f"  (seen by the {frame['side']})")
            elif kind == "chat.resumed" and frame["replayed"]:
                print(f"  ({frame['replayed']} missed message(s) above)")
                await self.mark_read(socket)
            elif kind == "error":
                print(f"  ! {frame['error']['code']}: {frame['error']['message']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=sorted(DEMO), help="whom to sign in as (demo accounts)")
    parser.add_argument("--rest", default="http://127.0.0.1:8000")
    parser.add_argument("--ws", default="ws://127.0.0.1:8001")
    parser.add_argument("--email", help="another account than the demo one")
    parser.add_argument("--password")
    parser.add_argument("--shop", help="shopper: the shop id (default: Demo Sneaker Barn)")
    parser.add_argument("--conversation", help="an existing conversation id")
    args = parser.parse_args(argv)
    client = ChatClient(args)
    client.sign_in()
    client.choose_conversation()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(client.run())


if __name__ == "__main__":
    main()
