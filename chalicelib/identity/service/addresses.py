"""Shoppers' delivery addresses: add, list, delete (the caller's own only)."""

from __future__ import annotations

from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.core.settings import get_settings
from chalicelib.identity import repository
from chalicelib.identity.domain import Address
from chalicelib.identity.schemas import AddressRequest


def list_addresses(caller: Caller) -> list[Address]:
    """The caller's addresses, oldest first."""
    return repository.get().list_addresses(caller.account_id)


def add_address(caller: Caller, request: AddressRequest) -> Address:
    """Store a new address for the caller; raises ConflictError when they already have the
    maximum."""
    limit = get_settings().max_addresses_per_account
    address = Address(
        address_id=new_id(),
        account_id=caller.account_id,
        created_at=clock.now(),
        **request.model_dump(),
    )
    if not repository.get().add_address(address, max_count=limit):
        raise ConflictError(f"An account can keep at most {limit} addresses")
    return address


def delete_address(caller: Caller, address_id: str) -> None:
    """Delete one of the caller's addresses; raises NotFoundError."""
    if not repository.get().delete_address(caller.account_id, address_id):
        raise NotFoundError("No such address")


def saved_address(account_id: str, address_id: str) -> Address:
    """One of the account's saved addresses (checkout copies it onto orders); raises
    NotFoundError."""
    for address in repository.get().list_addresses(account_id):
        if address.address_id == address_id:
            return address
    raise NotFoundError("No such address", details={"address_id": address_id})
