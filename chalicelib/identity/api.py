"""Identity routes: sign-up, verification, sessions, passwords, profile, addresses, admin.

Thin: each view reads the validated body and the caller, calls one use case, and shapes
the answer from ``schemas``. Rules and errors live in ``service/``, storage in
``repository``.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ValidationFailedError
from chalicelib.core.settings import get_settings
from chalicelib.identity.domain import Account
from chalicelib.identity.schemas import (
    AcceptedResponse,
    AccountPage,
    AccountView,
    AddressList,
    AddressRequest,
    AddressView,
    AuditPage,
    BanRequest,
    ChangePasswordRequest,
    CodeRequest,
    EmailRequest,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
    ResetTokenResponse,
    TokenResponse,
    VerifiedResponse,
)
from chalicelib.identity.service import accounts, addresses, admin
from chalicelib.web.access import SIGNED_IN, owner, roles
from chalicelib.web.routing import PAGE_QUERY, QueryParam, api_route, page_of, query_of

bp = Blueprint(__name__)
ADMIN = roles("admin")
OWN_ADDRESSES = owner("account_id", roles=("user",))
REFRESH_COOKIE = "bazaar_refresh"
ACCEPTED_MESSAGE = "If the address can be used, we sent an email with the next step."


# ---------- helpers ----------
def _origin() -> accounts.Origin:
    identity = bp.current_request.context.get("identity") or {}
    return accounts.Origin(source_ip=identity.get("sourceIp"))


def _account_view(account: Account) -> AccountView:
    return AccountView.model_validate(account, from_attributes=True)


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


def _token_response(tokens: accounts.SessionTokens) -> Response:
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
    return query_of(bp).get(name)


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
    errors=[422, 429],
)
def register(body: RegisterRequest) -> AcceptedResponse:
    accounts.register(
        str(body.email),
        body.password,
        role=Role(body.role),
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
    errors=[400, 409, 429],
)
def verify_email(body: CodeRequest) -> VerifiedResponse:
    account = accounts.verify_email(str(body.email), body.code, origin=_origin())
    return VerifiedResponse.model_validate(account, from_attributes=True)


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
    accounts.resend_verification(str(body.email), origin=_origin())
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
    errors=[401, 403, 409, 429],
)
def login(body: LoginRequest) -> Response:
    return _token_response(accounts.login(str(body.email), body.password, origin=_origin()))


@api_route(
    bp,
    "/auth/refresh",
    methods=["POST"],
    summary="Trade a refresh token (body or cookie) for a new pair; each works once",
    tags=["identity"],
    request_model=RefreshRequest,
    body_optional=True,  # with only the cookie, no body is needed
    response_model=TokenResponse,
    errors=[401, 409],
)
def refresh(body: RefreshRequest) -> Response:
    token = body.refresh_token or _cookie(REFRESH_COOKIE)
    if not token:
        raise ValidationFailedError(
            "A refresh token is required",
            details=[{"field": "refresh_token", "message": "required", "type": "missing"}],
        )
    return _token_response(accounts.refresh(token))


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
    accounts.logout(caller)
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
    return _account_view(accounts.account_of(caller))


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
    accounts.forgot_password(str(body.email), origin=_origin())
    return _accepted()


@api_route(
    bp,
    "/auth/reset-password/verify",
    methods=["POST"],
    summary="Trade the emailed reset code for a short-lived reset token",
    tags=["identity"],
    request_model=CodeRequest,
    response_model=ResetTokenResponse,
    errors=[400, 429],
)
def verify_reset_code(body: CodeRequest) -> ResetTokenResponse:
    issued = accounts.verify_reset_code(str(body.email), body.code, origin=_origin())
    return ResetTokenResponse(reset_token=issued.token, expires_in=issued.expires_in)


@api_route(
    bp,
    "/auth/reset-password",
    methods=["POST"],
    summary="Set a new password with a reset token; every session ends",
    tags=["identity"],
    request_model=ResetPasswordRequest,
    status=204,
    errors=[401, 409, 422, 429],
)
def reset_password(body: ResetPasswordRequest) -> None:
    accounts.reset_password(body.reset_token, body.new_password, origin=_origin())


@api_route(
    bp,
    "/auth/change-password",
    methods=["POST"],
    summary="Change the password; other sessions end and a new pair is returned",
    tags=["identity"],
    access=SIGNED_IN,
    request_model=ChangePasswordRequest,
    response_model=TokenResponse,
    errors=[403, 409, 422, 429],
)
def change_password(caller: Caller, body: ChangePasswordRequest) -> Response:
    tokens = accounts.change_password(
        caller, body.current_password, body.new_password, origin=_origin()
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
    found = addresses.list_addresses(caller)
    return AddressList.model_validate({"items": found}, from_attributes=True)


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
    address = addresses.add_address(caller, body)
    return AddressView.model_validate(address, from_attributes=True)


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
    addresses.delete_address(caller, address_id)


# ---------- admin ----------
ROLE_PARAM = QueryParam(
    "role",
    "Which accounts: user, seller or admin (default user)",
    schema={"type": "string", "enum": ["user", "seller", "admin"]},
)


@api_route(
    bp,
    "/admin/accounts",
    summary="List accounts of one role, newest first (paginated)",
    tags=["admin"],
    access=ADMIN,
    response_model=AccountPage,
    query=[ROLE_PARAM, *PAGE_QUERY],
    errors=[400],
)
def list_accounts() -> AccountPage:
    role = _query("role") or "user"
    if role not in ("user", "seller", "admin"):
        raise ValidationFailedError(
            "role must be user, seller or admin",
            details=[{"field": "role", "message": "unknown role", "type": "enum"}],
        )
    limit, cursor = page_of(bp)
    page = admin.list_accounts(Role(role), limit=limit, cursor=cursor)
    return AccountPage.model_validate(page, from_attributes=True)


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
    return _account_view(admin.ban(caller, account_id, reason=body.reason))


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
    return _account_view(admin.unban(caller, account_id))


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
    return _account_view(admin.promote(caller, account_id))


@api_route(
    bp,
    "/admin/audit",
    summary="The audit log, newest first (optionally of one account)",
    tags=["admin"],
    access=ADMIN,
    response_model=AuditPage,
    query=[QueryParam("account_id", "Only entries about this account"), *PAGE_QUERY],
    errors=[400],
)
def audit_log() -> AuditPage:
    limit, cursor = page_of(bp)
    page = admin.audit_log(limit=limit, cursor=cursor, account_id=_query("account_id"))
    return AuditPage.model_validate(page, from_attributes=True)
