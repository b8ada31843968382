"""The sign-up blocklist: the seller of a purged shop may not come back with that email."""

from __future__ import annotations

import pytest

from chalicelib.core.caller import Role
from chalicelib.core.errors import ConflictError
from chalicelib.core.events import DomainEvent
from chalicelib.core.mail import Email
from chalicelib.identity import service
from chalicelib.identity.service import admin
from tests.fakes.identity import FakeIdentityRepository
from tests.unit.identity.conftest import PASSWORD
from tests.unit.identity.test_accounts import register


def test_a_blocked_email_cannot_sign_up_in_any_case(
    repo: FakeIdentityRepository, outbox: list[Email], published: list[DomainEvent]
) -> None:
    # Given the catalog purged a seller's shop and blocked their email
    service.block_signups("Gone@Shop.example.com", reason="shop purged", shop_id="shop-1")
    service.block_signups("gone@shop.example.com", reason="shop purged", shop_id="shop-1")
    assert service.is_signup_blocked("GONE@shop.example.com")
    assert not service.is_signup_blocked("kept@shop.example.com")
    # When that email signs up again
    register("gone@SHOP.example.com", Role.SELLER)
    # Then it gets the usual answer, but no account, no email and no event
    assert repo.accounts == {}
    assert outbox == []
    assert published == []
    # And an admin cannot provision it either
    with pytest.raises(ConflictError):
        admin.provision_account("gone@shop.example.com", PASSWORD, role=Role.SELLER)
    assert repo.blocked["gone@shop.example.com"].shop_id == "shop-1"


def test_the_catalog_reads_and_records_through_the_service(repo: FakeIdentityRepository) -> None:
    seller = admin.provision_account("sam@shop.example.com", PASSWORD, role=Role.SELLER)
    shopper = admin.provision_account("ann@shop.example.com", PASSWORD, role=Role.USER)
    service.attach_shop(seller.account_id, "shop-1")
    service.attach_shop(shopper.account_id, "shop-2")  # only sellers have shops
    assert service.email_of(seller.account_id) == "sam@shop.example.com"
    assert service.email_of("nobody") is None
    assert repo.accounts[seller.account_id].shop_id == "shop-1"
    assert repo.accounts[shopper.account_id].shop_id is None
    service.attach_shop(seller.account_id, None)
    assert repo.accounts[seller.account_id].shop_id is None
