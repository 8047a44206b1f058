"""The one processing thread: newest frame of every camera -> batched detection -> per-camera rules -> store.

Readers never queue (each holds only its newest frame), so this loop can never
fall behind real time: when it is too slow, readers count drops instead. One
shared ``threading.Event`` tells it that some camera has a frame; it then
takes the newest frame of every camera that has one and scores them together.

Faults stay local: a frame whose detection or rules fail is logged and
skipped, and the loop, and every other camera, carries on.

Rules move on with the frames they score. A camera that delivers none to
score (offline, stalled, still connecting, or frozen) has its rules advanced
to the wall-clock time every ``EXPIRE_EVERY_S`` instead, so that its events
close ``close_after_s`` after their last sighting, as they would with frames.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sitewatch.events import EventChange
from sitewatch.pipeline import CameraPipeline
from sitewatch.streams.state import SourceState
from sitewatch.types import Frame

log = logging.getLogger("sitewatch.service")

ChangeSink = Callable[[Sequence[EventChange], str | None], None]
# How often the rules of cameras without frames to score are advanced: well below any close_after_s.
EXPIRE_EVERY_S = 1.0


class FrameSource(Protocol):
    """The part of ``CameraReader`` the loop uses."""

    source_id: str

    def take(self) -> Frame | None: ...

    def stats(self): ...


@dataclass
class LoopStats:
    batches: int = 0
    frames: int = 0
    failed_frames: int = 0
    skipped_frozen: int = 0
    last_batch_s: float = 0.0
    busy_s: float = 0.0  # time spent processing, for the load estimate


class ProcessingLoop:
    def __init__(
        self,
        readers: Sequence[FrameSource],
        ready: threading.Event,
        detectors: Mapping[str, object],
        pipelines: Mapping[str, CameraPipeline],
        sink: ChangeSink,
        sites: Mapping[str, str | None],
        *,
        skip_frozen: bool = True,
    ):
        self.readers = list(readers)
        self.ready = ready
        self.detectors = detectors
        self.pipelines = pipelines
        self.sink = sink
        self.sites = sites
        self.skip_frozen = skip_frozen
        self.stats = LoopStats()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # held while a batch runs: stop() waits for it

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="processing-loop", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Finish the batch in hand and stop; True when the thread ended within ``timeout``."""
        self._stop.set()
        self.ready.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        next_expiry = time.monotonic() + EXPIRE_EVERY_S
        while not self._stop.is_set():
            if self.ready.wait(0.5):
                # Clear before taking: a frame put after this sets it again, so none is missed.
                self.ready.clear()
                if self._stop.is_set():
                    break
                try:
                    self.run_once()
                except Exception:  # a bug in the loop itself: log it, never die silently
                    log.exception("processing loop: batch failed")
            if time.monotonic() >= next_expiry:
                next_expiry = time.monotonic() + EXPIRE_EVERY_S
                try:
                    self.expire_idle()
                except Exception:
                    log.exception("processing loop: advancing idle cameras failed")

    def run_once(self) -> int:
        """Score the frames waiting now (at most one per camera); returns how many were processed."""
        frames = [f for f in (r.take() for r in self.readers) if f is not None]
        if self.skip_frozen and frames:
            frozen = {r.source_id for r in self.readers if r.stats().frozen}
            kept = [f for f in frames if f.source_id not in frozen]
            self.stats.skipped_frozen += len(frames) - len(kept)
            frames = kept
        if not frames:
            return 0
        began = time.perf_counter()
        with self._lock:
            done = self._process(frames)
        elapsed = time.perf_counter() - began
        self.stats.batches += 1
        self.stats.frames += done
        self.stats.last_batch_s = elapsed
        self.stats.busy_s += elapsed
        return done

    def expire_idle(self, now: datetime | None = None) -> int:
        """Advance the rules of the cameras with no frame to score to ``now`` (default: the wall clock);
        returns how many event changes that made (they go to the sink as any other).

        Only those: a streaming camera's own frames move its rules, and ticking it as well could
        close an event just before a frame, read earlier, sees the worker again.
        """
        now = now or datetime.now(UTC)
        made = 0
        for reader in self.readers:
            stats = reader.stats()
            if stats.state is SourceState.STREAMING and not (self.skip_frozen and stats.frozen):
                continue
            camera = reader.source_id
            try:
                with self._lock:
                    changes = self.pipelines[camera].tick(now)
            except Exception:
                log.exception("camera %s: advancing its rules without frames failed", camera)
                continue
            if changes:
                made += len(changes)
                try:
                    self.sink(changes, self.sites.get(camera))
                except Exception:
                    log.exception("camera %s: %d event changes not stored", camera, len(changes))
        return made

    def _process(self, frames: list[Frame]) -> int:
        groups: dict[int, tuple[object, list[Frame]]] = {}
        for frame in frames:
            detector = self.detectors[frame.source_id]
            groups.setdefault(id(detector), (detector, []))[1].append(frame)
        done = 0
        for detector, group in groups.values():
            try:
                results = detector.detect_batch([f.image for f in group])
            except Exception:
                cameras = ", ".join(f.source_id for f in group)
                log.exception("detection failed for a batch of %d frames (cameras %s)", len(group), cameras)
                self.stats.failed_frames += len(group)
                continue
            for frame, detections in zip(group, results, strict=True):
                if self._process_one(frame, detections):
                    done += 1
        return done

    def _process_one(self, frame: Frame, detections) -> bool:
        camera = frame.source_id
        try:
            changes = self.pipelines[camera].process(frame, detections).changes
        except Exception:
            log.exception("camera %s: frame %d failed in tracking/rules; skipped", camera, frame.index)
            self.stats.failed_frames += 1
            return False
        if changes:
            try:
                self.sink(changes, self.sites.get(camera))
            except Exception:
                log.exception("camera %s: %d event changes not stored", camera, len(changes))
        return True
