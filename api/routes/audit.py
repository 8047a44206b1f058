"""/audit: the audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sitewatch.api.auth import allow, visible_sites
from sitewatch.api.deps import DbSession
from sitewatch.api.errors import ERROR_RESPONSES
from sitewatch.api.pagination import decode_id_cursor, encode_cursor
from sitewatch.api.schemas import AuditOut, AuditPage
from sqlalchemy import select

from sitewatch.store.keys import Principal, Role
from sitewatch.store.models import AuditEntry

router = APIRouter(tags=["audit"], responses=ERROR_RESPONSES)


@router.get("/audit", response_model=AuditPage, summary="Audit entries, newest first")
def list_audit(
    principal: Annotated[Principal, Depends(allow(Role.ADMIN))],
    session: DbSession,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=128)] = None,
    site_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict:
    query = select(AuditEntry)
    sites = visible_sites(principal, site_id)
    if sites is not None:
        # a site-limited admin sees only its sites' entries, not key management or other sites
        query = query.where(AuditEntry.site_id.in_(sorted(sites)))
    if entity_type is not None:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if cursor is not None:
        query = query.where(AuditEntry.id < decode_id_cursor(cursor))
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return {
        "items": [AuditOut.model_validate(row) for row in page],
        "next_cursor": encode_cursor(page[-1].id) if len(rows) > limit else None,
    }
