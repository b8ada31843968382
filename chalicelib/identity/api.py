"""Identity routes: sign-up, verification, sessions, passwords, profile, addresses, admin.

Thin: each view reads the validated body and the caller, calls one use case, and shapes
the answer. Rules, errors and storage live in the service modules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from chalice import Blueprint, Response
from pydantic import EmailStr, Field, field_validator

from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ValidationFailedError
from chalicelib.core.pagination import page_limit
from chalicelib.core.settings import get_settings
from chalicelib.core.validation import RequestModel, ResponseModel
from chalicelib.identity import addresses, admin, mailbox, service
from chalicelib.identity.models import Account, Address, AuditEntry
from chalicelib.web.access import SIGNED_IN, owner, roles
from chalicelib.web.routing import QueryParam, api_route

bp = Blueprint(__name__)
ADMIN = roles("admin")
OWN_ADDRESSES = owner("account_id", roles=("user",))
REFRESH_COOKIE = "bazaar_refresh"
ACCEPTED_MESSAGE = "If the address can be used, we sent an email with the next step."


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
    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. DE")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()\-]{6,20}$")

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        value = value.upper()
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise ValueError("must be an ISO 3166-1 alpha-2 country code")
        return value


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


class MailboxMessage(ResponseModel):
    id: str | None
    sender: str | None
    to: list[str]
    subject: str | None
    text: str | None
    html: str | None
    code: str | None


class MailboxResponse(ResponseModel):
    email: str
    messages: list[MailboxMessage]


# ---------- helpers ----------
def _origin() -> service.Origin:
    identity = bp.current_request.context.get("identity") or {}
    return service.Origin(source_ip=identity.get("sourceIp"))


def _account_view(account: Account) -> AccountView:
    return AccountView(
        account_id=account.account_id,
        email=account.email,
        role=account.role,
        status=account.status,
        display_name=account.display_name,
        shop_id=account.shop_id,
        created_at=account.created_at,
        verified_at=account.verified_at,
        banned_at=account.banned_at,
        ban_reason=account.ban_reason,
    )


def _address_view(address: Address) -> AddressView:
    return AddressView(
        address_id=address.address_id,
        created_at=address.created_at,
        **address.fields.as_dict(),  # type: ignore[no-untyped-call]
    )


def _audit_view(entry: AuditEntry) -> AuditEntryView:
    return AuditEntryView(
        audit_id=entry.audit_id,
        action=entry.action,
        actor_id=entry.actor_id,
        target_id=entry.target_id,
        reason=entry.reason,
        details=entry.details,
        at=entry.at,
    )


def _refresh_cookie(value: str, max_age: int) -> str:
    secure = "" if get_settings().is_local else "; Secure"
    return (
        f"{REFRESH_COOKIE}={value}; Max-Age={max_age}; Path=/auth; HttpOnly; SameSite=Strict"
        + secure
    )


def _cookie(name: str) -> str | None:
    header = bp.current_request.headers.get("cookie") or ""
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def _token_response(tokens: service.SessionTokens) -> Response:
    body = TokenResponse(
        access_token=tokens.access.token,
        expires_in=tokens.access.expires_in,
        refresh_token=tokens.refresh.token,
        refresh_expires_in=tokens.refresh.expires_in,
        account=_account_view(tokens.account),
    )
    return Response(
        body=body.model_dump(mode="json"),
        status_code=200,
        headers={
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            "Set-Cookie": _refresh_cookie(tokens.refresh.token, tokens.refresh.expires_in),
        },
    )


def _accepted() -> AcceptedResponse:
    return AcceptedResponse(status="accepted", message=ACCEPTED_MESSAGE)


def _query(name: str) -> str | None:
    params = bp.current_request.query_params
    value = params.get(name) if params else None
    return str(value) if value is not None else None


# ---------- sign-up and verification ----------
@api_route(
    bp,
    "/auth/register",
    methods=["POST"],
    summary="Sign up as a shopper (user) or a seller; a verification code is emailed",
    tags=["identity"],
    request_model=RegisterRequest,
    response_model=AcceptedResponse,
    status=202,
    errors=[429],
)
def register(body: RegisterRequest) -> AcceptedResponse:
    service.register(
        str(body.email),
        body.password,
        role=body.role,
        display_name=body.display_name,
        origin=_origin(),
    )
    return _accepted()


@api_route(
    bp,
    "/auth/verify-email",
    methods=["POST"],
    summary="Confirm the email address with the emailed code",
    tags=["identity"],
    request_model=CodeRequest,
    response_model=VerifiedResponse,
    errors=[409, 429],
)
def verify_email(body: CodeRequest) -> VerifiedResponse:
    account = service.verify_email(str(body.email), body.code, origin=_origin())
    return VerifiedResponse(account_id=account.account_id, status=service.ACTIVE)


@api_route(
    bp,
    "/auth/resend-code",
    methods=["POST"],
    summary="Email a new verification code (after a cooldown)",
    tags=["identity"],
    request_model=EmailRequest,
    response_model=AcceptedResponse,
    status=202,
    errors=[429],
)
def resend_code(body: EmailRequest) -> AcceptedResponse:
    service.resend_verification(str(body.email), origin=_origin())
    return _accepted()


# ---------- sessions ----------
@api_route(
    bp,
    "/auth/login",
    methods=["POST"],
    summary="Sign in: an access token, a refresh token (also set as an HTTP-only cookie)",
    tags=["identity"],
    request_model=LoginRequest,
    response_model=TokenResponse,
    errors=[429],
)
def login(body: LoginRequest) -> Response:
    return _token_response(service.login(str(body.email), body.password, origin=_origin()))


@api_route(
    bp,
    "/auth/refresh",
    methods=["POST"],
    summary="Trade a refresh token (body or cookie) for a new pair; each works once",
    tags=["identity"],
    request_model=RefreshRequest,
    response_model=TokenResponse,
)
def refresh(body: RefreshRequest) -> Response:
    token = body.refresh_token or _cookie(REFRESH_COOKIE)
    if not token:
        raise ValidationFailedError(
            "A refresh token is required",
            details=[{"field": "refresh_token", "message": "required", "type": "missing"}],
        )
    return _token_response(service.refresh(token))


@api_route(
    bp,
    "/auth/logout",
    methods=["POST"],
    summary="Sign out: this session's refresh and access tokens stop working",
    tags=["identity"],
    access=SIGNED_IN,
    status=204,
)
def logout(caller: Caller) -> Response:
    service.logout(caller.account_id, caller.session_id)
    return Response(body="", status_code=204, headers={"Set-Cookie": _refresh_cookie("", 0)})


@api_route(
    bp,
    "/me",
    summary="The signed-in account",
    tags=["identity"],
    access=SIGNED_IN,
    response_model=AccountView,
)
def me(caller: Caller) -> AccountView:
    return _account_view(service.account_of(caller))


# ---------- passwords ----------
@api_route(
    bp,
    "/auth/forgot-password",
    methods=["POST"],
    summary="Email a password reset code (same answer whether or not the account exists)",
    tags=["identity"],
    request_model=EmailRequest,
    response_model=AcceptedResponse,
    status=202,
    errors=[429],
)
def forgot_password(body: EmailRequest) -> AcceptedResponse:
    service.forgot_password(str(body.email), origin=_origin())
    return _accepted()


@api_route(
    bp,
    "/auth/reset-password/verify",
    methods=["POST"],
    summary="Trade the emailed reset code for a short-lived reset token",
    tags=["identity"],
    request_model=CodeRequest,
    response_model=ResetTokenResponse,
    errors=[429],
)
def verify_reset_code(body: CodeRequest) -> ResetTokenResponse:
    issued = service.verify_reset_code(str(body.email), body.code, origin=_origin())
    return ResetTokenResponse(reset_token=issued.token, expires_in=issued.expires_in)


@api_route(
    bp,
    "/auth/reset-password",
    methods=["POST"],
    summary="Set a new password with a reset token; every session ends",
    tags=["identity"],
    request_model=ResetPasswordRequest,
    status=204,
    errors=[429],
)
def reset_password(body: ResetPasswordRequest) -> None:
    service.reset_password(body.reset_token, body.new_password, origin=_origin())


@api_route(
    bp,
    "/auth/change-password",
    methods=["POST"],
    summary="Change the password; other sessions end and a new pair is returned",
    tags=["identity"],
    access=SIGNED_IN,
    request_model=ChangePasswordRequest,
    response_model=TokenResponse,
    errors=[429],
)
def change_password(caller: Caller, body: ChangePasswordRequest) -> Response:
    tokens = service.change_password(
        service.account_of(caller), body.current_password, body.new_password, origin=_origin()
    )
    return _token_response(tokens)


# ---------- addresses ----------
@api_route(
    bp,
    "/accounts/{account_id}/addresses",
    summary="The shopper's delivery addresses",
    tags=["identity"],
    access=OWN_ADDRESSES,
    response_model=AddressList,
)
def list_addresses(account_id: str, caller: Caller) -> AddressList:
    found = addresses.list_addresses(caller.account_id)
    return AddressList(items=[_address_view(address) for address in found])


@api_route(
    bp,
    "/accounts/{account_id}/addresses",
    methods=["POST"],
    summary="Add a delivery address",
    tags=["identity"],
    access=OWN_ADDRESSES,
    request_model=AddressRequest,
    response_model=AddressView,
    status=201,
    errors=[409],
)
def add_address(account_id: str, caller: Caller, body: AddressRequest) -> AddressView:
    address = addresses.add_address(caller.account_id, body.model_dump())
    return _address_view(address)


@api_route(
    bp,
    "/accounts/{account_id}/addresses/{address_id}",
    methods=["DELETE"],
    summary="Delete a delivery address",
    tags=["identity"],
    access=OWN_ADDRESSES,
    status=204,
    errors=[404],
)
def delete_address(account_id: str, address_id: str, caller: Caller) -> None:
    addresses.delete_address(caller.account_id, address_id)


# ---------- admin ----------
ROLE_PARAM = QueryParam(
    "role",
    "Which accounts: user, seller or admin (default user)",
    schema={"type": "string", "enum": ["user", "seller", "admin"]},
)
PAGE_PARAMS = [
    QueryParam("limit", "Page size", schema={"type": "integer", "minimum": 1}),
    QueryParam("cursor", "The next_cursor of the previous page"),
]


@api_route(
    bp,
    "/admin/accounts",
    summary="List accounts of one role, newest first (paginated)",
    tags=["admin"],
    access=ADMIN,
    response_model=AccountPage,
    query=[ROLE_PARAM, *PAGE_PARAMS],
    errors=[400],
)
def list_accounts() -> AccountPage:
    role = _query("role") or "user"
    if role not in ("user", "seller", "admin"):
        raise ValidationFailedError(
            "role must be user, seller or admin",
            details=[{"field": "role", "message": "unknown role", "type": "enum"}],
        )
    page = admin.list_accounts(
        Role(role), limit=page_limit(_query("limit")), cursor=_query("cursor")
    )
    return AccountPage(
        items=[_account_view(account) for account in page.items], next_cursor=page.next_cursor
    )


@api_route(
    bp,
    "/admin/accounts/{account_id}",
    summary="One account",
    tags=["admin"],
    access=ADMIN,
    response_model=AccountView,
    errors=[404],
)
def get_account(account_id: str) -> AccountView:
    return _account_view(admin.get_account(account_id))


@api_route(
    bp,
    "/admin/accounts/{account_id}/ban",
    methods=["POST"],
    summary="Ban an account: no sign-in, its tokens stop working at once (audit-logged)",
    tags=["admin"],
    access=ADMIN,
    request_model=BanRequest,
    response_model=AccountView,
    errors=[404, 409],
)
def ban(account_id: str, caller: Caller, body: BanRequest) -> AccountView:
    return _account_view(admin.ban(caller.account_id, account_id, reason=body.reason))


@api_route(
    bp,
    "/admin/accounts/{account_id}/unban",
    methods=["POST"],
    summary="Lift a ban (audit-logged)",
    tags=["admin"],
    access=ADMIN,
    response_model=AccountView,
    errors=[404, 409],
)
def unban(account_id: str, caller: Caller) -> AccountView:
    return _account_view(admin.unban(caller.account_id, account_id))


@api_route(
    bp,
    "/admin/accounts/{account_id}/promote",
    methods=["POST"],
    summary="Promote a user to admin (audit-logged)",
    tags=["admin"],
    access=ADMIN,
    response_model=AccountView,
    errors=[404, 409],
)
def promote(account_id: str, caller: Caller) -> AccountView:
    return _account_view(admin.promote(caller.account_id, account_id))


@api_route(
    bp,
    "/admin/audit",
    summary="The audit log, newest first (optionally of one account)",
    tags=["admin"],
    access=ADMIN,
    response_model=AuditPage,
    query=[QueryParam("account_id", "Only entries about this account"), *PAGE_PARAMS],
    errors=[400],
)
def audit_log() -> AuditPage:
    page = admin.audit_log(
        limit=page_limit(_query("limit")),
        cursor=_query("cursor"),
        account_id=_query("account_id"),
    )
    return AuditPage(
        items=[_audit_view(entry) for entry in page.items], next_cursor=page.next_cursor
    )


# ---------- local only ----------
if get_settings().is_local:

    @api_route(
        bp,
        "/dev/mailbox",
        summary="LOCAL ONLY: emails SES accepted for an address, newest first",
        tags=["dev"],
        response_model=MailboxResponse,
        query=[QueryParam("email", "The recipient", required=True)],
        errors=[400, 503],
    )
    def dev_mailbox() -> MailboxResponse:
        address = _query("email")
        if not address:
            raise ValidationFailedError(
                "email is required",
                details=[{"field": "email", "message": "required", "type": "missing"}],
            )
        return MailboxResponse(
            email=address.lower(),
            messages=[MailboxMessage(**message) for message in mailbox.messages_for(address)],
        )
