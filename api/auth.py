"""API-key authentication and role checks.

Every route declares who may call it with ``allow(role)`` or ``public()``;
``create_app`` refuses to start if one does not (default deny).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sitewatch.api.deps import store_of
from sitewatch.api.errors import ApiError

from sitewatch.store.keys import Principal, Role, verify_key

ACCESS_MARK = "_sitewatch_access"

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key from `sitewatch keys create`"
)
_bearer = HTTPBearer(auto_error=False, description="the same API key as a bearer token")


def _authenticate(
    request: Request, header_key: str | None, bearer: HTTPAuthorizationCredentials | None
) -> Principal:
    presented = header_key or (bearer.credentials if bearer is not None else None)
    if not presented:
        raise ApiError(
            401,
            "unauthorized",
            "an API key is required (X-API-Key or Authorization: Bearer)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with store_of(request).session() as session:
        principal = verify_key(session, presented)
    if principal is None:
        raise ApiError(
            401, "unauthorized", "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


def allow(minimum: Role) -> Callable[..., Principal]:
    """Dependency: the caller's principal, if its role is ``minimum`` or above."""

    def check(
        request: Request,
        header_key: Annotated[str | None, Depends(_api_key_header)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        principal = _authenticate(request, header_key, bearer)
        if not principal.role.at_least(minimum):
            raise ApiError(403, "forbidden", f"this needs the {minimum} role or above")
        return principal

    setattr(check, ACCESS_MARK, str(minimum))
    return check


def public() -> Callable[[], None]:
    """Dependency marking a route that anyone may call (health, metrics)."""

    def open_to_all() -> None:
        return None

    setattr(open_to_all, ACCESS_MARK, "public")
    return open_to_all


def require_site(principal: Principal, site_id: str) -> None:
    """For id-addressed objects: invisible (404, not 403) outside the key's sites, so ids do not leak."""
    if not principal.may_see_site(site_id):
        raise ApiError(404, "not_found", "not found")


def visible_sites(principal: Principal, requested: str | None) -> frozenset[str] | None:
    """Sites a list query may cover: None means all. A requested site outside the key's is refused."""
    if requested is not None:
        if not principal.may_see_site(requested):
            raise ApiError(403, "forbidden", "this key is not allowed to see that site")
        return frozenset({requested})
    return principal.sites or None
