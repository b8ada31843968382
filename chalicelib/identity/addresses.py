"""Shoppers' delivery addresses: add, list, delete (the caller's own only)."""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.core.settings import get_settings
from chalicelib.identity import repository
from chalicelib.identity.models import ADDRESS_PREFIX, Address, AddressAttributes, account_pk


def list_addresses(account_id: str) -> list[Address]:
    """The account's addresses, oldest first."""
    return repository.list_addresses(account_id)


def add_address(account_id: str, fields: dict[str, Any]) -> Address:
    """Store a new address; raises ConflictError when the account already has the maximum."""
    limit = get_settings().max_addresses_per_account
    address_id = repository.new_id()
    address = Address(
        pk=account_pk(account_id),
        sk=f"{ADDRESS_PREFIX}{address_id}",
        address_id=address_id,
        account_id=account_id,
        fields=AddressAttributes(**fields),  # type: ignore[no-untyped-call]
        created_at=clock.now(),
    )
    if not repository.add_address(address, max_count=limit):
        raise ConflictError(f"An account can keep at most {limit} addresses")
    return address


def delete_address(account_id: str, address_id: str) -> None:
    """Delete one of the account's addresses; raises NotFoundError."""
    if not repository.delete_address(account_id, address_id):
        raise NotFoundError("No such address")
