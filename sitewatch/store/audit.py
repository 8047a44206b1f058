"""Append-only audit entries: who changed what, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sitewatch.store.models import AuditEntry
from sitewatch.store.types import utc_now


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    site_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=utc_now(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        site_id=site_id,
        before=before,
        after=after,
        comment=comment,
    )
    session.add(entry)
    return entry
