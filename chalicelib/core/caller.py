"""Who is calling: the one caller type every service takes.

The web edge builds a ``Caller`` from the verified access token (through the
authenticator identity provides at wiring time); services never read tokens or requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What an account may do on the platform."""

    USER = "user"
    SELLER = "seller"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """A signed-in account as read for this request: id, role, email, shop and session."""

    account_id: str
    role: Role
    email: str = ""
    # A seller's shop (None until the catalog creates it); the catalog scopes by it.
    shop_id: str | None = None
    session_id: str = ""

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_seller(self) -> bool:
        return self.role is Role.SELLER
