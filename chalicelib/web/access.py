"""Authorization in one place: who is calling, and whether they may call this route.

Every route declares its rule through ``api_route(access=...)``:

- ``PUBLIC`` (``"public"``): anyone; no token is read.
- ``SIGNED_IN`` (``"signed-in"``): any active account with a valid access token.
- ``roles("admin")`` (also ``"admin"``, ``"seller"``, ``"user"``): signed in with one of
  these roles.
- ``owner("account_id", roles=(...))``: signed in, and the path parameter names the
  caller's own account (optionally also one of ``roles``).

The caller sends ``Authorization: Bearer <access token>``. The token is verified and the
account read once per request (consistently, so bans and sign-outs apply at once) by the
authenticator identity provides, wired in at start-up (``use_authenticator``): the edge
depends on that interface, not on identity. The result, a ``Caller``, is kept on the
request object and nowhere else. The WebSocket ``$connect`` handler authenticates the
same token through ``authenticate_token``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.core.caller import Caller
from chalicelib.core.errors import ForbiddenError, NotFoundError, UnauthorizedError

_CACHE_ATTR = "_bazaar_caller"
Authenticator = Callable[[str], Caller]
"""Verifies an access token: the caller, or UnauthorizedError."""
_authenticator: Authenticator | None = None


@dataclass(frozen=True)
class AccessRule:
    """Who may call a route. ``name`` is what OpenAPI shows as ``x-access``."""

    name: str
    public: bool = False
    roles: tuple[str, ...] = ()
    owner_param: str | None = None

    def check(self, caller: Caller, path_params: Mapping[str, Any]) -> None:
        """Raise ForbiddenError unless ``caller``'s role satisfies the rule; NotFoundError
        for another account's resources (what the caller may not see answers 404, the same
        as what does not exist)."""
        if self.roles and not caller.has_role(*self.roles):
            raise ForbiddenError(
                "Your role may not do this", details={"allowed_roles": list(self.roles)}
            )
        if self.owner_param is not None and path_params.get(self.owner_param) != (
            caller.account_id
        ):
            raise NotFoundError("No such account")


PUBLIC = AccessRule(name="public", public=True)
SIGNED_IN = AccessRule(name="signed-in")


def roles(*allowed: str) -> AccessRule:
    """Signed in with one of ``allowed`` roles."""
    return AccessRule(name="roles:" + ",".join(allowed), roles=tuple(allowed))


def owner(param: str = "account_id", *, roles: tuple[str, ...] = ()) -> AccessRule:
    """Signed in as the account named by path parameter ``param`` (and one of ``roles``)."""
    name = f"owner:{param}" + (f"+roles:{','.join(roles)}" if roles else "")
    return AccessRule(name=name, roles=tuple(roles), owner_param=param)


NAMED_RULES = {
    "public": PUBLIC,
    "signed-in": SIGNED_IN,
    "admin": roles("admin"),
    "seller": roles("seller"),
    "user": roles("user"),
}


def resolve(access: str | AccessRule) -> AccessRule:
    """The rule for ``access`` (a rule, or one of NAMED_RULES); ValueError otherwise."""
    if isinstance(access, AccessRule):
        return access
    try:
        return NAMED_RULES[access]
    except KeyError:
        raise ValueError(f"unknown access rule {access!r}; known: {sorted(NAMED_RULES)}") from None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, if that is what it is."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def use_authenticator(authenticate: Authenticator) -> None:
    """Wire in the token verifier (identity's, at start-up; a fake in unit tests)."""
    global _authenticator
    _authenticator = authenticate


def authenticate_token(token: str) -> Caller:
    """The caller of an access token; raises UnauthorizedError."""
    if _authenticator is None:
        raise RuntimeError("No authenticator wired: call access.use_authenticator at start-up")
    return _authenticator(token)


def caller_of(request: Any) -> Caller:
    """The caller of this request, authenticated once and cached on the request.

    Raises UnauthorizedError when there is no usable bearer token.
    """
    cached = getattr(request, _CACHE_ATTR, None)
    if isinstance(cached, Caller):
        return cached
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise UnauthorizedError("Sign in first: send 'Authorization: Bearer <access token>'")
    caller = authenticate_token(token)
    setattr(request, _CACHE_ATTR, caller)
    return caller


def authorize(rule: AccessRule, request: Any, path_params: Mapping[str, Any]) -> Caller | None:
    """Apply ``rule`` to a request: the caller (None on public routes) or an error."""
    if rule.public:
        return None
    caller = caller_of(request)
    rule.check(caller, path_params)
    return caller
