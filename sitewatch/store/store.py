"""``Store``: the one object the pipeline and the API use to reach events, evidence and the outbox."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sitewatch.events import ChangeKind, EventChange
from sitewatch.store.audit import record_audit
from sitewatch.store.buffer import ChangeBuffer
from sitewatch.store.errors import StoreError
from sitewatch.store.evidence_files import EvidenceFiles
from sitewatch.store.models import Camera
from sitewatch.store.types import utc_now
from sitewatch.store.writer import (
    PendingChange,
    Snapshot,
    add_outbox,
    ensure_site_and_camera,
    open_events,
    write_change,
)

log = logging.getLogger("sitewatch.store")

WRITE_CHUNK = 200  # changes per transaction when draining the buffer


class StoreUnavailable(StoreError, RuntimeError):
    """The database cannot be reached (the message names it without its password)."""


def is_outage(exc: BaseException) -> bool:
    """True for errors that mean 'the database is not there right now', as opposed to a bug."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


class Store:
    def __init__(
        self,
        engine: Engine,
        evidence: EvidenceFiles,
        *,
        display_url: str,
        buffer_max_changes: int = 10_000,
        retry_interval_s: float = 5.0,
    ):
        self.engine = engine
        self.evidence = evidence
        self.display_url = display_url
        self.retry_interval_s = retry_interval_s
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._buffer = ChangeBuffer(buffer_max_changes)
        self._lock = threading.RLock()
        self._down_since: float | None = None
        self._next_retry = 0.0
        self._snapshot_frames: dict[str, int] = {}
        self._retry_thread: threading.Thread | None = None
        self._closed = threading.Event()

    # -- sessions ------------------------------------------------------------
    def session(self) -> Session:
        return self._sessions()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    # -- pipeline writes -----------------------------------------------------
    def apply(self, changes: Sequence[EventChange], site_id: str | None = None) -> None:
        """Store each change in order; while the database is down they wait in the bounded buffer."""
        with self._lock:
            prepared = [PendingChange.from_change(c, site_id, self._write_snapshot(c)) for c in changes]
            self._buffer.extend(prepared)
            self._drain(force=False)

    def flush(self) -> bool:
        """Try to write everything held now; True when nothing is left waiting."""
        with self._lock:
            self._drain(force=True)
            return len(self._buffer) == 0

    @property
    def pending(self) -> int:
        return len(self._buffer)

    @property
    def available(self) -> bool:
        return self._down_since is None

    def close_dangling(self, at: datetime) -> int:
        """Close events left open by a pipeline that stopped; returns how many."""
        if at.tzinfo is None:
            raise ValueError("close_dangling needs a timezone-aware time")
        at = at.astimezone(UTC)
        with self._lock:
            if not self.flush():
                log.warning("open events not closed: database unreachable; they are closed on the next start")
                return 0
            try:
                with self.session() as session, session.begin():
                    rows = open_events(session)
                    for row in rows:
                        before = {"status": row.status}
                        row.status, row.closed_at = "closed", max(at, row.ended_at)
                        row.revision += 1
                        row.updated_at = utc_now()
                        session.flush()
                        add_outbox(session, row, str(ChangeKind.CLOSED))
                        record_audit(
                            session,
                            actor="system",
                            action="event.close_dangling",
                            entity_type="event",
                            entity_id=row.id,
                            site_id=row.site_id,
                            before=before,
                            after={"status": "closed"},
                        )
                    self._snapshot_frames.clear()
                    return len(rows)
            except DBAPIError as exc:
                if not is_outage(exc):
                    raise
                log.warning("open events not closed: database unreachable; they are closed on the next start")
                return 0

    def record_camera_status(
        self, camera_id: str, status: str, last_frame_at: datetime | None, site_id: str | None = None
    ) -> None:
        """Live pipelines report camera health here (``GET /cameras`` serves it)."""
        with self.session() as session, session.begin():
            camera = session.get(Camera, camera_id)
            if camera is None:
                ensure_site_and_camera(session, site_id or "default", camera_id)
                camera = session.get(Camera, camera_id)
            camera.status = status
            if last_frame_at is not None:
                camera.last_frame_at = last_frame_at
            camera.updated_at = utc_now()

    def sync_config(self, settings) -> tuple[int, int]:
        """Upsert the configured sites and cameras (``settings.sites`` / ``settings.cameras``)."""
        from sitewatch.store.sync import sync_config

        with self.session() as session, session.begin():
            return sync_config(session, settings)

    def snapshot_bytes(self, evidence_id: str) -> bytes | None:
        return self.evidence.read(evidence_id)

    def close(self) -> None:
        with self._lock:
            if not self.flush():
                log.error(
                    "store closing with %d event changes unwritten: database %s unreachable",
                    len(self._buffer),
                    self.display_url,
                )
            self._closed.set()
        self.engine.dispose()

    # -- internals -----------------------------------------------------------
    def _write_snapshot(self, change: EventChange) -> Snapshot | None:
        """Write the evidence JPEG now (local disk), so the buffer never holds images."""
        event, evidence = change.event, change.event.evidence
        closing = change.kind is ChangeKind.CLOSED or event.closed
        try:
            if self._snapshot_frames.get(event.event_id) == evidence.frame_index or evidence.image.size == 0:
                return None
            from sitewatch.snapshots import render_snapshot

            data = render_snapshot(evidence, f"{event.type} {evidence.confidence:.2f}")
            self.evidence.write(event.event_id, data)
        except Exception:
            log.exception("evidence snapshot for event %s not written", event.event_id)
            return None
        finally:
            if closing:
                self._snapshot_frames.pop(event.event_id, None)
        if not closing:
            self._snapshot_frames[event.event_id] = evidence.frame_index
        return Snapshot(
            frame_index=evidence.frame_index,
            captured_at=evidence.timestamp.astimezone(UTC),
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
        )

    def _drain(self, force: bool) -> None:
        if not len(self._buffer) or self._closed.is_set():
            return
        if self._down_since is not None and not force and time.monotonic() < self._next_retry:
            return
        written = 0
        while len(self._buffer):
            chunk = self._buffer.head(WRITE_CHUNK)
            try:
                self._write_chunk(chunk)
            except DBAPIError as exc:
                if not is_outage(exc):
                    raise
                self._mark_down(exc)
                return
            self._buffer.pop_head(len(chunk))
            written += len(chunk)
        self._mark_up(written)

    def _write_chunk(self, chunk: list[PendingChange]) -> None:
        try:
            with self.session() as session, session.begin():
                for change in chunk:
                    write_change(session, change)
            return
        except DBAPIError as exc:
            if is_outage(exc):
                raise
        # A change the database rejects (a bug, or a concurrent insert of the same
        # event) must not block the ones behind it: write one by one, retrying each
        # once (the retry sees the other writer's row and updates it), then give up on it.
        for change in chunk:
            for attempt in (1, 2):
                try:
                    with self.session() as session, session.begin():
                        write_change(session, change)
                    break
                except DBAPIError as exc:
                    if is_outage(exc):
                        raise
                    if attempt == 2:
                        log.error(
                            "event %s change %s rejected by the database: %s",
                            change.event_id,
                            change.kind,
                            type(exc.orig).__name__,
                        )

    def _mark_down(self, exc: DBAPIError) -> None:
        self._next_retry = time.monotonic() + self.retry_interval_s
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning(
                "database %s unreachable (%s); holding event changes in memory (up to %d) until it returns",
                self.display_url,
                type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
                self._buffer.max_changes,
            )
            self._start_retry_thread()

    def _mark_up(self, written: int) -> None:
        if self._down_since is not None:
            log.warning(
                "database %s reachable again after %.0f s; wrote %d held event changes",
                self.display_url,
                time.monotonic() - self._down_since,
                written,
            )
            self._down_since = None

    def _start_retry_thread(self) -> None:
        # Retries even when the pipeline goes quiet, so held changes do not wait for the next event.
        if self._retry_thread is not None and self._retry_thread.is_alive():
            return

        def retry_until_drained() -> None:
            while not self._closed.wait(max(self.retry_interval_s, 0.05)):
                with self._lock:
                    self._drain(force=False)
                    if not len(self._buffer):
                        return

        self._retry_thread = threading.Thread(target=retry_until_drained, name="store-retry", daemon=True)
        self._retry_thread.start()


def default_evidence_dir(url) -> Path:
    from sitewatch.store.engine import sqlite_file

    path = sqlite_file(url)
    return (path.parent if path is not None else Path(".")) / "evidence"
