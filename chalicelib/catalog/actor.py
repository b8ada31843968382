"""Who is acting, as the catalog's services see it (the web edge builds it from the token)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["user", "seller", "admin"]


@dataclass(frozen=True)
class Actor:
    """A signed-in account: its id and role."""

    account_id: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_seller(self) -> bool:
        return self.role == "seller"
