"""Orders over HTTP (Chalice test client, real tokens): the simulator's 3-D Secure confirm
route (development package), the checkout view, the webhook's signature check, and the
development package absent from a deployed stage."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.orders import repository, workflow
from chalicelib.orders.domain import PaymentStatus
from chalicelib.orders.service import payments
from localcloud.deploy import Deployment
from tests.fakes.orders import FakeWorkflow, stored_checkout
from tests.fixtures.aws import ROOT
from tests.fixtures.http import ApiClient

PASSWORD = "Orders-Http-Pass-2026"
THREE_DS = "4000002500003155"


class Http(ApiClient):
    def person(self, role: str = "user") -> tuple[str, str]:
        """A new account of ``role`` and its access token."""
        from chalicelib.identity.service import admin

        email = f"{role}.{uuid.uuid4().hex[:8]}@orders.example.com"
        account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
        return account.account_id, self.sign_in(email, PASSWORD)


@pytest.fixture
def http(api: Any) -> Iterator[Http]:
    flow = FakeWorkflow()  # no saga waits: the answers to its task token are recorded
    workflow.use(flow)
    yield Http(api)
    workflow.use(None)


def test_the_shopper_confirms_3ds_on_the_simulator(aws_env: Deployment, http: Http) -> None:
    # Given a shopper whose simulated payment waits for 3-D Secure
    shopper, token = http.person()
    _, stranger = http.person()
    new = stored_checkout(repository.get(), user_id=shopper, method=THREE_DS)
    payment_id = new.payment.payment_id
    assert payments.request(payment_id, "task-token")["status"] == "REQUIRES_ACTION"
    path = f"/payments/{payment_id}/confirm"
    # Then nobody else can confirm it, and an unsigned caller is refused
    assert http.call("POST", path, {"succeed": True}, stranger).status_code == 404
    assert http.call("POST", path, {"succeed": True}).status_code == 401
    assert http.call("POST", path, {"succeed": "maybe"}, token).status_code == 422
    # When the shopper confirms, the signed webhook settles the payment
    confirmed = http.call("POST", path, {"succeed": True}, token)
    assert (confirmed.status_code, confirmed.json_body) == (
        200,
        {"payment_id": payment_id, "status": "SUCCEEDED"},
    )
    again = http.call("POST", path, {"succeed": False}, token)
    assert again.json_body == {"payment_id": payment_id, "status": "SUCCEEDED"}
    view = http.call("GET", f"/checkouts/{new.checkout.checkout_id}", token=token).json_body
    assert (view["payment"]["status"], view["orders"][0]["status"]) == ("SUCCEEDED", "PENDING")
    assert (
        http.call("GET", f"/checkouts/{new.checkout.checkout_id}", token=stranger).status_code
        == 404
    )


def test_a_failed_authentication_fails_the_payment(aws_env: Deployment, http: Http) -> None:
    shopper, token = http.person()
    new = stored_checkout(repository.get(), user_id=shopper, method=THREE_DS)
    payments.request(new.payment.payment_id, "task-token")
    failed = http.call(
        "POST", f"/payments/{new.payment.payment_id}/confirm", {"succeed": False}, token
    )
    assert failed.json_body["status"] == "FAILED"
    stored = repository.get().get_payment(new.payment.payment_id)
    assert (stored.status, stored.failure_code) == (PaymentStatus.FAILED, "authentication_required")


def test_nothing_to_confirm_for_a_payment_the_simulator_does_not_hold(
    aws_env: Deployment, http: Http
) -> None:
    shopper, token = http.person()
    new = stored_checkout(repository.get(), user_id=shopper, provider="stripe", method="pm_card")
    answer = http.call("POST", f"/payments/{new.payment.payment_id}/confirm", {}, token)
    assert answer.status_code == 404
    assert answer.json_body["error"]["message"] == "Nothing to confirm for this payment"


def test_a_webhook_with_a_bad_signature_is_refused(aws_env: Deployment, http: Http) -> None:
    answer = http.call(
        "POST", "/payments/webhook", b'{"id": "evt_1"}', headers={"Stripe-Signature": "t=1,v1=00"}
    )
    assert (answer.status_code, answer.json_body["error"]["code"]) == (400, "BAD_SIGNATURE")


def test_a_deployed_stage_has_no_simulator_and_no_confirm_route() -> None:
    probe = (
        "import app\n"
        "from chalicelib.orders import providers\n"
        "print(sorted(p for p in app.app.routes if p.startswith('/payments')))\n"
        "try:\n    providers.provider()\nexcept Exception as e:\n    print(type(e).__name__)\n"
    )
    env = {**os.environ, "BAZAAR_STAGE": "prod", "BAZAAR_FAULT_INJECTION": "false"}
    env.pop("BAZAAR_STRIPE_API_KEY", None)
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["['/payments/webhook']", "DependencyUnavailableError"]


def test_order_lists_filter_by_declared_parameters_and_refuse_others(
    aws_env: Deployment, http: Http
) -> None:
    # Given a shopper with a pending and a paid order at two shops, and an admin
    from chalicelib.orders.domain import OrderStatus

    shopper, token = http.person()
    _, admin = http.person("admin")
    shop_a, shop_b = f"shop-{uuid.uuid4().hex[:8]}", f"shop-{uuid.uuid4().hex[:8]}"
    pending = stored_checkout(repository.get(), user_id=shopper, shops=(shop_a,)).orders[0]
    paid = stored_checkout(repository.get(), user_id=shopper, shops=(shop_b,)).orders[0]
    repository.get().move_order(paid, OrderStatus.PAID)

    # When the shopper filters their orders by status; Then only those come back
    response = http.call("GET", "/orders?status=PAID", token=token)
    assert response.status_code == 200
    assert [o["order_id"] for o in response.json_body["items"]] == [paid.order_id]
    mine = http.call("GET", "/orders", token=token).json_body["items"]
    assert {o["order_id"] for o in mine} == {pending.order_id, paid.order_id}
    assert http.call("GET", "/orders?status=SHIPPING", token=token).status_code == 400

    # When the admin filters all orders by shop; Then only that shop's
    response = http.call("GET", f"/admin/orders?shop_id={shop_a}", token=admin)
    assert response.status_code == 200
    assert [o["order_id"] for o in response.json_body["items"]] == [pending.order_id]
    both = http.call("GET", f"/admin/orders?shop_id={shop_b}&status=PAID", token=admin)
    assert [o["order_id"] for o in both.json_body["items"]] == [paid.order_id]

    # When a parameter the route does not declare is sent; Then 422 naming it
    for path, who in (("/orders?shop_id=x", token), ("/admin/payments?shop_id=x", admin)):
        refused = http.call("GET", path, token=who)
        assert refused.status_code == 422, path
        error = refused.json_body["error"]
        assert error["details"] == [
            {
                "field": "shop_id",
                "message": "not a query parameter of this route",
                "type": "unknown",
            }
        ]
        assert "shop_id" in error["message"]
