"""Shoppers' addresses: each caller's own, oldest first, limited in number."""

from __future__ import annotations

import pytest

from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.core.settings import reset_settings
from chalicelib.identity.schemas import AddressRequest
from chalicelib.identity.service import addresses, admin
from tests.unit.identity.conftest import PASSWORD, caller_of

HOME = AddressRequest(
    label="Home",
    recipient="Ann Example",
    line1="Hauptstraße 1",
    city="Berlin",
    postal_code="10115",
    country="de",
    phone="+49 30 1234567",
)


def shopper(email: str) -> Caller:
    return caller_of(admin.provision_account(email, PASSWORD, role=Role.USER))


def test_add_list_delete_own_addresses() -> None:
    # Given a shopper with two addresses
    ann = shopper("ann@shop.example.com")
    home = addresses.add_address(ann, HOME)
    addresses.add_address(ann, HOME.model_copy(update={"label": "Work", "line2": "3rd floor"}))
    assert (home.country, home.line1, home.account_id) == ("DE", "Hauptstraße 1", ann.account_id)
    assert [a.label for a in addresses.list_addresses(ann)] == ["Home", "Work"]
    # When one is deleted, the other stays; deleting it again finds nothing
    addresses.delete_address(ann, home.address_id)
    assert [a.label for a in addresses.list_addresses(ann)] == ["Work"]
    with pytest.raises(NotFoundError):
        addresses.delete_address(ann, home.address_id)


def test_another_callers_address_is_not_found() -> None:
    ann, bob = shopper("ann@shop.example.com"), shopper("bob@shop.example.com")
    address = addresses.add_address(ann, HOME)
    with pytest.raises(NotFoundError):
        addresses.delete_address(bob, address.address_id)
    assert addresses.list_addresses(bob) == []
    assert len(addresses.list_addresses(ann)) == 1


def test_addresses_per_account_are_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given at most two addresses per account
    monkeypatch.setenv("BAZAAR_MAX_ADDRESSES_PER_ACCOUNT", "2")
    reset_settings()
    ann = shopper("ann@shop.example.com")
    addresses.add_address(ann, HOME)
    second = addresses.add_address(ann, HOME)
    # Then a third is refused until one is deleted
    with pytest.raises(ConflictError, match="at most 2"):
        addresses.add_address(ann, HOME)
    addresses.delete_address(ann, second.address_id)
    addresses.add_address(ann, HOME)
