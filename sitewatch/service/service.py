"""``Service``: every camera of a config, one detector, rules, store, push and API, in one process.

Components start in dependency order and stop in reverse:

start: API socket (fails fast on a taken port) -> store (migrate, sync the
config) -> per-camera pipelines (seeded with events from before a restart)
-> close the events a crash left open -> detector(s) -> reset the stored camera
status -> push + API -> processing loop -> camera readers.

stop: readers (joined against one deadline) -> loop (finishes its batch) ->
close every open event and store it -> flush the store -> API (stops push) ->
one last push round -> close events still open -> close the store.

A camera that fails never stops the others: each reader reconnects on its
own, and the loop logs and skips a frame that fails.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sitewatch.config import Settings
from sitewatch.events import EventChange
from sitewatch.pipeline import CameraPipeline
from sitewatch.rules.no_helmet import NoHelmetRule
from sitewatch.service.api_server import ApiServer, PortInUse, bind_socket
from sitewatch.service.detectors import build_detectors
from sitewatch.service.loop import ProcessingLoop
from sitewatch.streams import CameraReader, SourceState, StateChange
from sitewatch.wiring import camera_context, make_pipeline_factory

log = logging.getLogger("sitewatch.service")

# What the cameras table (GET /cameras "status") says for each reader state.
CAMERA_STATUS = {
    SourceState.CONNECTING: "connecting",
    SourceState.STREAMING: "online",
    SourceState.STALLED: "stalled",
    SourceState.OFFLINE: "offline",
    SourceState.CLOSED: "stopped",
}
# How often the stored last-frame time of streaming cameras is refreshed. After a crash it tells
# how long the events left open were still going on, so it must be well below the cool-down.
STATUS_REFRESH_S = 10.0


class ServiceError(Exception):
    """The service cannot start (port taken, no cameras, store unreachable); the message says why."""


class Service:
    def __init__(self, settings: Settings, *, model: Path | None = None, with_api: bool = True):
        if not settings.cameras:
            raise ServiceError("the configuration has no cameras: nothing to watch")
        self.settings = settings
        self.model = model
        self.with_api = with_api
        self.sites = {c.id: c.site for c in settings.cameras}
        self.ready = threading.Event()
        self.store = None
        self.detectors: dict[str, object] = {}
        self.pipelines: dict[str, CameraPipeline] = {}
        self.readers: list[CameraReader] = []
        self.loop: ProcessingLoop | None = None
        self.push = None
        self.api: ApiServer | None = None
        self._socket = None
        self._stopped = False
        self._store_closed = False
        self._stop_lock = threading.Lock()

    # -- life cycle -----------------------------------------------------------
    def start(self) -> Service:
        """Start everything; on failure, stop what started and raise (``ServiceError`` for user errors)."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from sitewatch.store import StoreError, open_store_from_settings

        api = self.settings.api
        if self.with_api:
            try:
                self._socket = bind_socket(api.host, api.port)
            except PortInUse as exc:
                raise ServiceError(str(exc)) from None
        try:
            self.store = open_store_from_settings(self.settings.store)
        except StoreError as exc:
            raise ServiceError(str(exc)) from None
        sites, cameras = self.store.sync_config(self.settings)
        # Pipelines before close_dangling: seeding needs to know which events the last run left open.
        self._build_pipelines()
        closed = self.store.close_dangling(datetime.now(UTC))
        log.info(
            "store %s: %d sites, %d cameras; %d events left open by the last run closed",
            self.store.display_url, sites, cameras, closed,
        )
        self.detectors = build_detectors(self.settings, self.model)
        self.push = self._build_push()
        self._reset_camera_status()
        if self.with_api:
            from sitewatch.api import create_app

            app = create_app(
                self.store, api_settings=api, push=self.push, camera_stats=self.camera_stats
            )
            self.api = ApiServer(app, self._socket)
            self._socket = None  # the server owns it now
            self.api.start()
        elif self.push is not None:
            self.push.start()
        self.readers = [
            CameraReader.for_camera(
                c, self.settings.streams, on_change=self._camera_changed, ready=self.ready
            )
            for c in self.settings.cameras
        ]
        self.loop = ProcessingLoop(
            self.readers, self.ready, self.detectors, self.pipelines, self._store_changes, self.sites
        )
        self.loop.start()
        for reader in self.readers:
            reader.start()
        log.info("watching %d cameras", len(self.readers))

    def _build_pipelines(self) -> None:
        now = datetime.now(UTC)
        rules = self.settings.rules.no_helmet
        cooldown = timedelta(seconds=rules.cooldown_s)
        from sitewatch.store.recent import last_frame_at, recent_no_helmet_events

        for camera in self.settings.cameras:
            make_pipeline = make_pipeline_factory(self.settings, camera_context(self.settings, camera.id))
            pipeline = make_pipeline(camera.id)
            # An event the last run left open was being seen while the camera delivered frames:
            # the rule would have closed it after close_after_s without a sighting.
            alive = last_frame_at(self.store, camera.id)
            seen_until = alive - timedelta(seconds=rules.close_after_s) if alive is not None else None
            recent = recent_no_helmet_events(
                self.store, camera.id, now - cooldown, open_seen_until=seen_until
            )
            if recent:
                for rule in pipeline.rules:
                    if isinstance(rule, NoHelmetRule):
                        rule.seed(recent, now)
                log.info(
                    "camera %s: %d no_helmet events from the last run can be continued (cool-down %.0f s)",
                    camera.id, len(recent), cooldown.total_seconds(),
                )
            self.pipelines[camera.id] = pipeline

    def _reset_camera_status(self) -> None:
        # Before the API serves the cameras table: what the last run stored is stale (a crash leaves
        # "online"), and a reader's first "connecting" is not reported. Late in the start, so that a
        # start that fails earlier leaves the table as it was.
        from sitewatch.store.sync import reset_camera_status

        with self.store.session() as session, session.begin():
            removed = reset_camera_status(session, self.settings)
        if removed:
            log.info("%d cameras no longer in the configuration marked removed", removed)

    def _build_push(self):
        push = self.settings.push
        if not push.webhooks.targets and push.mqtt is None:
            return None
        from sitewatch.push import PushService

        return PushService.from_settings(self.store, push)

    def stop(self) -> None:
        """Stop in reverse order; safe to call more than once and after a failed start."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        if self.readers:
            self._stop_readers()
        if self.loop is not None and not self.loop.stop():
            log.warning("the processing loop did not finish its batch in time")
        if self.store is not None:
            changes: list[tuple[list[EventChange], str | None]] = []
            for camera_id, pipeline in self.pipelines.items():
                try:
                    changes.append((pipeline.close(datetime.now(UTC)), self.sites.get(camera_id)))
                except Exception:
                    log.exception("camera %s: closing its open events failed", camera_id)
            closed = 0
            for batch, site in changes:
                if batch:
                    try:
                        self._store_changes(batch, site)
                        closed += len(batch)
                    except Exception:  # keep stopping: the next start closes what is left open
                        log.exception("%d closing event changes not stored", len(batch))
            if not self.store.flush():
                log.error("%d event changes could not be written before shutdown", self.store.pending)
            log.info("closed %d open events", closed)
        if self.api is not None:
            self.api.stop()  # its lifespan stops the push workers
        elif self.push is not None:
            self.push.stop()
        if self.push is not None:
            try:
                self.push.run_once()  # deliver what the last events put in the outbox
            except Exception:
                log.exception("final push round failed; the outbox is delivered after the next start")
        if self._socket is not None:
            self._socket.close()
        if self.store is not None:
            self.store.close_dangling(datetime.now(UTC))
            self._store_closed = True
            self.store.close()
        log.info("stopped")

    def _stop_readers(self) -> None:
        """Stop every reader, waiting at most ``longest_block_s`` + 1 s in all, however many cameras.

        Each reader may be inside an OpenCV call for up to ``longest_block_s``, and OpenCV opens
        one stream at a time, so readers of cameras that hang queue up behind each other: waiting
        for them one by one would outlast systemd's stop timeout and lose the closing of open
        events to its SIGKILL. All are told to stop first, then joined against one deadline;
        those still inside OpenCV are daemon threads, left to end when their call returns.
        """
        for reader in self.readers:
            reader.stop()
        wait_s = self.settings.streams.longest_block_s + 1.0
        deadline = time.monotonic() + wait_s
        stuck = [r for r in self.readers if not r.join(max(0.0, deadline - time.monotonic()))]
        if stuck:
            names = ", ".join(r.source_id for r in stuck[:10]) + (", ..." if len(stuck) > 10 else "")
            log.warning(
                "%d camera readers still inside OpenCV (or queued for its one-at-a-time open) after %.0f s, "
                "left to end on their own: %s",
                len(stuck), wait_s, names,
            )
            for reader in stuck:  # their own "closed" comes after the store has closed
                self._record_status(reader.source_id, SourceState.CLOSED, None)

    def run_until_signal(self, stop: threading.Event | None = None) -> None:
        """Serve until SIGTERM/SIGINT (or ``stop`` is set), then stop. Main thread only."""
        stop = stop or threading.Event()

        def handle(signum, _frame) -> None:
            name = signal.Signals(signum).name
            if stop.is_set():
                # A second Ctrl-C means "now": events still open are closed on the next start.
                log.warning("%s received again: exiting without a clean stop", name)
                os._exit(128 + signum)
            log.info("%s received: stopping", name)
            stop.set()

        previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not stop.wait(STATUS_REFRESH_S):
                self.refresh_camera_status()
        finally:
            stop.set()
            try:
                self.stop()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    # -- live state -----------------------------------------------------------
    def camera_stats(self) -> list[dict]:
        """Per camera: state, fps, drops, reconnects, last frame time, frozen (no URL)."""
        out = []
        for reader in self.readers:
            data = reader.stats().as_dict()
            data.pop("url", None)
            data["site_id"] = self.sites.get(reader.source_id)
            out.append(data)
        return out

    def refresh_camera_status(self) -> None:
        for reader in self.readers:
            stats = reader.stats()
            if stats.state is SourceState.STREAMING:
                self._record_status(reader.source_id, stats.state, stats.last_frame_at)

    def _camera_changed(self, change: StateChange) -> None:
        # The reader already logged the change; the cameras table keeps it for the API.
        last = next((r.stats().last_frame_at for r in self.readers if r.source_id == change.source_id), None)
        self._record_status(change.source_id, change.new, last)

    def _record_status(self, camera_id: str, state: SourceState, last_frame_at) -> None:
        if self.store is None or self._store_closed:
            return
        try:
            self.store.record_camera_status(
                camera_id, CAMERA_STATUS[state], last_frame_at, self.sites.get(camera_id)
            )
        except Exception as exc:  # the database may be down; the live stats still tell the truth
            log.warning("camera %s: status %s not stored (%s)", camera_id, state, type(exc).__name__)

    def _store_changes(self, changes, site_id: str | None) -> None:
        self.store.apply(changes, site_id)
