"""Shoppers' addresses through the API: add, list, delete; owner only; validated (the limit:
tests/unit/identity/test_address_use_cases.py)."""

from __future__ import annotations

from typing import Any

from tests.integration.identity.conftest import (
    delete,
    get,
    post,
    sign_up,
)

HOME = {
    "label": "Home",
    "recipient": "Ann Example",
    "line1": "Hauptstraße 1",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "de",
    "phone": "+49 30 1234567",
}


def test_add_list_delete_own_addresses(api: Any) -> None:
    member = sign_up(api)
    base = f"/accounts/{member.account_id}/addresses"
    created = post(api, base, HOME, member.access)
    assert created.status_code == 201
    address = created.json_body
    assert address["country"] == "DE"
    assert address["line1"] == "Hauptstraße 1"
    work = post(api, base, {**HOME, "label": "Work", "line2": "3rd floor"}, member.access)
    assert work.status_code == 201

    listed = get(api, base, member.access).json_body["items"]
    assert [item["label"] for item in listed] == ["Home", "Work"]

    assert delete(api, f"{base}/{address['address_id']}", member.access).status_code == 204
    assert [item["label"] for item in get(api, base, member.access).json_body["items"]] == ["Work"]
    again = delete(api, f"{base}/{address['address_id']}", member.access)
    assert again.status_code == 404


def test_nobody_else_reads_or_changes_them(api: Any) -> None:
    owner = sign_up(api)
    other = sign_up(api)
    base = f"/accounts/{owner.account_id}/addresses"
    address_id = post(api, base, HOME, owner.access).json_body["address_id"]
    assert get(api, base, other.access).status_code == 404
    assert post(api, base, HOME, other.access).status_code == 404
    assert delete(api, f"{base}/{address_id}", other.access).status_code == 404
    # Deleting someone's address id under your own account finds nothing.
    mine = f"/accounts/{other.account_id}/addresses/{address_id}"
    assert delete(api, mine, other.access).status_code == 404
    assert len(get(api, base, owner.access).json_body["items"]) == 1


def test_addresses_are_validated(api: Any) -> None:
    member = sign_up(api)
    base = f"/accounts/{member.account_id}/addresses"
    for bad in (
        {**HOME, "country": "Germany"},
        {**HOME, "phone": "call me"},
        {**HOME, "recipient": ""},
        {**HOME, "planet": "Earth"},
        {key: value for key, value in HOME.items() if key != "city"},
    ):
        response = post(api, base, bad, member.access)
        assert response.status_code == 422, bad
        assert response.json_body["error"]["details"]
