"""Who is who, asked of the capabilities that know: a shop's staff and channel settings
(catalog), admins and email addresses (identity). A port, so use-case tests use a fake."""

from __future__ import annotations

from typing import Protocol

from chalicelib.catalog.service import shops
from chalicelib.core.caller import Role
from chalicelib.identity import service as identity
from chalicelib.identity.service import admin as identity_admin
from chalicelib.notifications.domain import DEFAULT_SHOP_CHANNELS

ADMIN_PAGES = 10  # x 100: admins are few; the bound keeps one event's fan-out finite


class Directory(Protocol):
    def staff_of(self, shop_id: str) -> list[str]:
        """The accounts that act for the shop (empty for an unknown shop)."""
        ...

    def shop_channels(self, shop_id: str) -> tuple[str, ...]:
        """The shop's notification channels setting (``app``, ``websocket``, ``email``)."""
        ...

    def admins(self) -> list[str]:
        """Every admin account id (bounded)."""
        ...

    def email_of(self, account_id: str) -> str | None:
        """The account's email address, None if it has none (or is gone)."""
        ...


class ServiceDirectory:
    """The directory answered by the catalog's and identity's services."""

    def staff_of(self, shop_id: str) -> list[str]:
        return shops.staff_of(shop_id)

    def shop_channels(self, shop_id: str) -> tuple[str, ...]:
        shop = shops.get_shop(shop_id)
        if shop is None:
            return DEFAULT_SHOP_CHANNELS
        channels = shop.settings.get("channels")
        return tuple(channels) if isinstance(channels, list) else DEFAULT_SHOP_CHANNELS

    def admins(self) -> list[str]:
        found: list[str] = []
        cursor: str | None = None
        for _ in range(ADMIN_PAGES):
            page = identity_admin.list_accounts(Role.ADMIN, limit=100, cursor=cursor)
            found.extend(account.account_id for account in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        return found

    def email_of(self, account_id: str) -> str | None:
        return identity.email_of(account_id)


_directory: Directory | None = None


def get() -> Directory:
    global _directory
    if _directory is None:
        _directory = ServiceDirectory()
    return _directory


def use(directory: Directory | None) -> None:
    """Swap the directory (tests: a fake); None goes back to the services."""
    global _directory
    _directory = directory
