"""Identity's request and response bodies (validated at the edge, documented in OpenAPI).

Responses are read from the domain values (``model_validate(..., from_attributes=True)``):
an account's password hash and sessions never reach a response, because no view names them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import EmailStr, Field

from chalicelib.core.validation import CountryCode, PhoneNumber, RequestModel, ResponseModel


# ---------- request bodies ----------
def _password() -> Any:
    # Only bounds here (hashing cost); the policy is checked by the service.
    return Field(min_length=1, max_length=1024)


class RegisterRequest(RequestModel):
    email: EmailStr = Field(max_length=254)
    password: str = _password()
    role: Literal["user", "seller"] = "user"
    display_name: str | None = Field(default=None, min_length=1, max_length=80)


class EmailRequest(RequestModel):
    email: EmailStr = Field(max_length=254)


class CodeRequest(RequestModel):
    email: EmailStr = Field(max_length=254)
    code: str = Field(pattern=r"^[0-9]{6,10}$", description="The one-time code from the email")


class LoginRequest(RequestModel):
    email: EmailStr = Field(max_length=254)
    password: str = _password()


class RefreshRequest(RequestModel):
    refresh_token: str | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="Omit to use the HTTP-only refresh cookie set at sign-in",
    )


class ResetPasswordRequest(RequestModel):
    reset_token: str = Field(min_length=1, max_length=4096)
    new_password: str = _password()


class ChangePasswordRequest(RequestModel):
    current_password: str = _password()
    new_password: str = _password()


class BanRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=500)


class AddressRequest(RequestModel):
    label: str | None = Field(default=None, min_length=1, max_length=40)
    recipient: str = Field(min_length=1, max_length=100)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(default=None, min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: CountryCode
    phone: PhoneNumber | None = None


# ---------- response bodies ----------
class AcceptedResponse(ResponseModel):
    status: str
    message: str


class AccountView(ResponseModel):
    account_id: str
    email: str
    role: str
    status: str
    display_name: str | None = None
    shop_id: str | None = None
    created_at: datetime | None = None
    verified_at: datetime | None = None
    banned_at: datetime | None = None
    ban_reason: str | None = None


class TokenResponse(ResponseModel):
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme's name
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    account: AccountView


class VerifiedResponse(ResponseModel):
    account_id: str
    status: str


class ResetTokenResponse(ResponseModel):
    reset_token: str
    expires_in: int


class AccountPage(ResponseModel):
    items: list[AccountView]
    next_cursor: str | None


class AuditEntryView(ResponseModel):
    audit_id: str
    action: str
    actor_id: str
    target_id: str
    reason: str | None = None
    details: dict[str, Any] | None = None
    at: datetime


class AuditPage(ResponseModel):
    items: list[AuditEntryView]
    next_cursor: str | None


class AddressView(ResponseModel):
    address_id: str
    label: str | None = None
    recipient: str
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str
    country: str
    phone: str | None = None
    created_at: datetime


class AddressList(ResponseModel):
    items: list[AddressView]
