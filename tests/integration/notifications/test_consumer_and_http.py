"""Notifications on moto: bus → rule → queue → consumer, the digest through SES, and the
REST routes through Chalice's test client."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.ses.models import ses_backends

from localcloud.deploy import Deployment, QueueSource
from localcloud.lambdas import LambdaRuntime
from localcloud.pollers import QueuePoller
from tests.fixtures.http import ApiClient

PASSWORD = "Sturdy-Pass-2026"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "BAZAAR_ARGON2_TIME_COST": "1",
        "BAZAAR_ARGON2_MEMORY_KIB": "8",
        "BAZAAR_ARGON2_PARALLELISM": "1",
        "BAZAAR_CHAT_DIGEST_DELAY_SECONDS": "0",
    }.items():
        monkeypatch.setenv(key, value)
    from chalicelib.core.settings import reset_settings

    reset_settings()


@dataclass
class Person:
    account_id: str
    email: str
    token: str


class World:
    def __init__(self, deployment: Deployment, api: Any) -> None:
        self.deployment = deployment
        self.http = ApiClient(api)
        self.runtime = LambdaRuntime("us-east-1")
        for spec in deployment.functions.values():
            self.runtime.register(spec)
        self.sqs = boto3.client("sqs")

    def person(self, role: str = "user") -> Person:
        from chalicelib.identity.service import admin

        email = f"{role}.{next(_numbers)}@notify.example.com"
        account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
        return Person(account.account_id, email, self.http.sign_in(email, PASSWORD))

    def shop_of(self, seller: Person, channels: list[str] | None = None) -> str:
        from chalicelib.catalog.schemas import ShopInput
        from chalicelib.catalog.service import shops
        from chalicelib.core.caller import Caller, Role

        caller = Caller(account_id=seller.account_id, role=Role.SELLER, email=seller.email)
        body: dict[str, Any] = {"name": f"Notify Shop {seller.account_id[:6]}", "category": "shoes"}
        if channels is not None:
            body["settings"] = {"channels": channels}
        return shops.create_shop(caller, ShopInput.model_validate(body)).shop_id

    def put(self, detail_type: str, data: dict[str, Any], event_id: str | None = None) -> None:
        detail = {
            "metadata": {
                "event_id": event_id or str(uuid.uuid4()),
                "occurred_at": "2026-11-28T10:00:00+00:00",
                "version": 1,
            },
            "data": data,
        }
        result = boto3.client("events").put_events(
            Entries=[
                {
                    "Source": "bazaar.chat" if detail_type.startswith("chat.") else "bazaar.orders",
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                    "EventBusName": self.deployment.physical["EventBus"],
                }
            ]
        )
        assert result["FailedEntryCount"] == 0

    def pump(self, queue: str, function: str) -> int:
        url = self.deployment.physical[queue]
        source = QueueSource(
            function=f"bazaar-test-{function}",
            queue_url=url,
            queue_arn=f"arn:aws:sqs:us-east-1:{self.deployment.account_id}:{url.rsplit('/', 1)[1]}",
            batch_size=10,
            report_batch_item_failures=True,
        )
        poller = QueuePoller(source, self.runtime, self.sqs, wait_seconds=0, fast_retry=True)
        total = 0
        for _ in range(100):
            handled = poller.poll_once()
            if not handled:
                return total
            total += handled
        raise AssertionError("queue did not drain")

    def get(self, path: str, who: Person) -> Any:
        response = self.http.call("GET", path, token=who.token)
        assert response.status_code == 200, response.body
        return response.json_body

    def emails_to(self, address: str) -> list[str]:
        sent = ses_backends[self.deployment.account_id]["us-east-1"].sent_messages
        return [m.raw_data for m in sent if address in getattr(m, "destinations", [])]


@pytest.fixture
def world(aws_env: Deployment, api: Any) -> World:
    from chalicelib.catalog.service import site_config

    site_config.save_config(categories_map={"shoes": ["sneakers"]})
    return World(aws_env, api)


def paid(shopper: Person, shop_id: str, order_id: str = "order-0001") -> dict[str, Any]:
    return {
        "order_id": order_id,
        "checkout_id": "co-1",
        "user_id": shopper.account_id,
        "shop_id": shop_id,
        "total": 6998,
        "currency": "USD",
    }


def test_an_order_event_on_the_bus_notifies_shopper_and_seller_once(world: World) -> None:
    # Given a shopper and a seller with a shop
    shopper, seller = world.person("user"), world.person("seller")
    shop_id = world.shop_of(seller)
    # When order.paid is on the bus twice (a re-publish: a new event id)
    world.put("order.paid", paid(shopper, shop_id))
    world.put("order.paid", paid(shopper, shop_id))
    assert world.pump("NotificationsQueue", "notifications") == 2
    # Then each has one unread notification
    assert world.get("/notifications/unread-count", shopper) == {"unread": 1, "capped": False}
    assert world.get("/notifications/unread-count", seller) == {"unread": 1, "capped": False}
    [item] = world.get("/notifications", seller)["items"]
    assert (item["kind"], item["category"], item["read"]) == ("order.paid", "orders", False)
    assert item["link"] == "/orders/order-0001"


def test_the_rest_routes_list_mark_read_and_keep_preferences(world: World) -> None:
    shopper, seller = world.person("user"), world.person("seller")
    shop_id = world.shop_of(seller)
    for n in range(3):
        world.put("order.paid", paid(shopper, shop_id, order_id=f"order-{n}"))
    world.pump("NotificationsQueue", "notifications")
    page = world.get("/notifications?limit=2", shopper)
    assert [i["subject_id"] for i in page["items"]] == ["order-2", "order-1"]
    rest = world.get(f"/notifications?limit=2&cursor={page['next_cursor']}", shopper)
    assert [i["subject_id"] for i in rest["items"]] == ["order-0"]
    first = page["items"][0]["id"]
    marked = world.http.call("POST", f"/notifications/{first}/read", token=shopper.token)
    assert (marked.status_code, marked.json_body["read"]) == (200, True)
    unread = world.get("/notifications?unread=true", shopper)
    assert [i["subject_id"] for i in unread["items"]] == ["order-1", "order-0"]
    # Another account's notification is not found; bad filters and cursors are 400
    other = world.http.call("POST", f"/notifications/{first}/read", token=seller.token)
    assert other.status_code == 404
    assert (
        world.http.call("GET", "/notifications?unread=maybe", token=shopper.token).status_code
        == 400
    )
    assert (
        world.http.call("GET", "/notifications?cursor=x.y", token=shopper.token).status_code == 400
    )
    everything = world.http.call("POST", "/notifications/read-all", token=shopper.token)
    assert everything.json_body == {"marked": 2, "more": False}
    assert world.get("/notifications/unread-count", shopper)["unread"] == 0
    # Preferences: defaults, then a partial change
    assert world.get("/notifications/preferences", shopper)["chat"] == {
        "in_app": True,
        "websocket": True,
        "email": True,
    }
    changed = world.http.call(
        "PUT", "/notifications/preferences", {"chat": {"email": False}}, token=shopper.token
    )
    assert changed.status_code == 200
    assert changed.json_body["chat"] == {"in_app": True, "websocket": True, "email": False}
    bad = world.http.call(
        "PUT", "/notifications/preferences", {"chat": {"sms": True}}, token=shopper.token
    )
    assert bad.status_code == 422
    assert world.http.call("GET", "/notifications").status_code == 401


def test_the_offline_digest_sends_one_email_for_several_messages(world: World) -> None:
    # Given three chat messages to a shopper with no open connection
    shopper, seller = world.person("user"), world.person("seller")
    shop_id = world.shop_of(seller)
    for n in range(3):
        world.put(
            "chat.message.sent",
            {
                "conversation_id": "conv-1",
                "message_id": f"m-{n:03d}",
                "shop_id": shop_id,
                "shopper_id": shopper.account_id,
                "sender_id": seller.account_id,
                "recipient_ids": [shopper.account_id],
                "kind": "text",
                "preview": f"Hello number {n}",
                "sent_at": "2026-11-28T10:00:00+00:00",
            },
        )
    world.pump("NotificationsQueue", "notifications")
    assert world.get("/notifications/unread-count", shopper)["unread"] == 3
    # When the digest runs (delay 0 here), twice
    digest = world.runtime.invoke("bazaar-test-notification-digest", {})
    again = world.runtime.invoke("bazaar-test-notification-digest", {})
    # Then one email lists the three messages, and the second run sends nothing
    assert digest.payload["emails"] == 1, digest
    assert again.payload["emails"] == 0
    [raw] = world.emails_to(shopper.email)
    assert "3 unread chat messages" in raw
    for n in range(3):
        assert f"Hello number {n}" in raw


def test_a_bad_record_fails_alone_and_the_sample_event_is_accepted(world: World) -> None:
    import copy

    from tests.fixtures.aws import load_event

    sample = load_event("notifications_sqs.json")
    good = sample["Records"][0]
    bad = copy.deepcopy(good)
    bad["messageId"] = "bad-record"
    body = json.loads(bad["body"])
    del body["detail"]["data"]["user_id"]  # the receiver cannot be known
    bad["body"] = json.dumps(body)
    result = world.runtime.invoke("bazaar-test-notifications", {"Records": [good, bad]})
    assert result.payload == {"batchItemFailures": [{"itemIdentifier": "bad-record"}]}


def test_a_muted_category_is_not_emailed_and_the_shops_email_channel_applies(
    world: World,
) -> None:
    # Given two sellers whose shops notify by email too, one of them muted orders' email
    shopper = world.person("user")
    muted, listening = world.person("seller"), world.person("seller")
    muted_shop = world.shop_of(muted, ["app", "websocket", "email"])
    listening_shop = world.shop_of(listening, ["app", "websocket", "email"])
    off = world.http.call(
        "PUT", "/notifications/preferences", {"orders": {"email": False}}, token=muted.token
    )
    assert off.status_code == 200
    # When an order of each shop is paid
    world.put("order.paid", paid(shopper, muted_shop, order_id="order-muted"))
    world.put("order.paid", paid(shopper, listening_shop, order_id="order-heard"))
    world.pump("NotificationsQueue", "notifications")
    # Then only the seller who did not mute it gets the email (through SES), both see it
    # in the app, and the shopper gets no email from notifications (orders sends receipts)
    [raw] = world.emails_to(listening.email)
    assert "Order paid: ready to fulfil" in raw
    assert world.emails_to(muted.email) == []
    assert world.emails_to(shopper.email) == []
    assert world.get("/notifications/unread-count", muted)["unread"] == 1
