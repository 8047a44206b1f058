"""/events/stream: event changes as server-sent events, read from the store's outbox.

Polling the outbox (rather than an in-process queue) means the stream sees
changes written by any pipeline process, and ``Last-Event-ID`` (the outbox seq)
lets a reconnecting client resume without gaps.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from sitewatch.api.auth import allow, visible_sites
from sitewatch.api.errors import ERROR_RESPONSES
from sitewatch.api.query import scope_to_sites
from sqlalchemy import func, select

from sitewatch.events import EventType
from sitewatch.store import Store
from sitewatch.store.keys import Principal, Role, key_is_active
from sitewatch.store.models import OutboxEntry
from sitewatch.store.payload import change_message

router = APIRouter(tags=["events"], responses=ERROR_RESPONSES)

BATCH = 100


def _latest_seq(store: Store, sites: frozenset[str] | None) -> int:
    with store.session() as session:
        query = scope_to_sites(select(func.max(OutboxEntry.seq)), OutboxEntry.site_id, sites)
        return session.scalar(query) or 0


def _entries_after(
    store: Store, key_id: str, seq: int, sites, camera_id: str | None, type_: str | None
) -> tuple[int, list[dict]] | None:
    """The seq read up to, and the messages after ``seq`` that pass the filters.

    None once the caller's key has been revoked (or deleted): the key is
    checked when the stream opens and again on every poll, so revoking it
    ends streams already open, not only new requests.
    """
    with store.session() as session:
        if not key_is_active(session, key_id):
            return None
        query = scope_to_sites(select(OutboxEntry), OutboxEntry.site_id, sites).where(OutboxEntry.seq > seq)
        if camera_id is not None:
            query = query.where(OutboxEntry.camera_id == camera_id)
        entries = session.scalars(query.order_by(OutboxEntry.seq).limit(BATCH)).all()
        read_to = entries[-1].seq if entries else seq
        if type_ is not None:
            entries = [e for e in entries if e.payload.get("type") == type_]
        return read_to, [change_message(e) for e in entries]


def _frame(message: dict) -> str:
    data = json.dumps(message, separators=(",", ":"))
    return f"id: {message['seq']}\nevent: {message['change']}\ndata: {data}\n\n"


@router.get(
    "/events/stream",
    summary="Live feed of event changes (server-sent events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an endless SSE stream"}},
)
async def stream_events(
    request: Request,
    principal: Annotated[Principal, Depends(allow(Role.VIEWER))],
    site_id: Annotated[str | None, Query(max_length=128)] = None,
    camera_id: Annotated[str | None, Query(max_length=128)] = None,
    type: EventType | None = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="resume after this seq")] = None,
    last_event_id: Annotated[int | None, Header(ge=0, le=2**62)] = None,
) -> StreamingResponse:
    store: Store = request.app.state.store
    settings = request.app.state.api_settings
    stopping: anyio.Event = request.app.state.stopping
    sites = visible_sites(principal, site_id)
    start = last_event_id if last_event_id is not None else after
    if start is None:
        start = await anyio.to_thread.run_sync(_latest_seq, store, sites)
    type_value = None if type is None else str(type)

    async def frames() -> AsyncIterator[str]:
        seq = start
        quiet_since = time.monotonic()
        yield ": stream open\n\n"
        while not stopping.is_set() and not await request.is_disconnected():
            read = await anyio.to_thread.run_sync(
                _entries_after, store, principal.key_id, seq, sites, camera_id, type_value
            )
            if read is None:
                yield ": key revoked\n\n"
                return
            read_to, messages = read
            for message in messages:
                yield _frame(message)
            if read_to != seq:
                seq = read_to
                quiet_since = time.monotonic()
                continue
            if time.monotonic() - quiet_since >= settings.stream_keepalive_s:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"
            with anyio.move_on_after(settings.stream_poll_s):
                await stopping.wait()

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
