"""API keys: ``sw_<id>_<secret>``; the store keeps the id and a SHA-256 of the secret, never the key.

The secret is 32 random bytes, so a plain SHA-256 is enough (no password-style
stretching needed) and lookups stay cheap on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from sitewatch.store.audit import record_audit
from sitewatch.store.models import ApiKey
from sitewatch.store.types import utc_now

PREFIX = "sw"


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a verified key. ``sites`` empty means every site."""

    key_id: str
    role: Role
    sites: frozenset[str]

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"

    def may_see_site(self, site_id: str) -> bool:
        return not self.sites or site_id in self.sites


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session, role: Role, sites: list[str] | None = None, name: str | None = None, actor: str = "cli"
) -> str:
    """Store a new key and return it in full: the only time it exists outside the caller's hands."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    site_list = sorted(set(sites or []))
    session.add(
        ApiKey(
            id=key_id,
            secret_sha256=_digest(secret),
            role=str(role),
            sites=site_list,
            name=name,
            created_at=utc_now(),
        )
    )
    record_audit(
        session,
        actor=actor,
        action="key.create",
        entity_type="api_key",
        entity_id=key_id,
        after={"role": str(role), "sites": site_list, "name": name},
    )
    return f"{PREFIX}_{key_id}_{secret}"


def verify_key(session: Session, presented: str) -> Principal | None:
    """The principal for a presented key, or None for anything unknown, malformed or revoked."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2] or len(parts[1]) > 32:
        return None
    row = session.get(ApiKey, parts[1])
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_sha256, _digest(parts[2])):
        return None
    try:
        role = Role(row.role)
    except ValueError:
        return None
    return Principal(key_id=row.id, role=role, sites=frozenset(row.sites or []))


def key_is_active(session: Session, key_id: str) -> bool:
    """Whether the key with this id exists and is not revoked (for long-lived requests)."""
    row = session.get(ApiKey, key_id)
    return row is not None and row.revoked_at is None


def revoke_key(session: Session, key_id: str, actor: str = "cli") -> bool:
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utc_now()
    record_audit(session, actor=actor, action="key.revoke", entity_type="api_key", entity_id=key_id)
    return True
