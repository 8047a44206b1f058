"""A live camera as a frame source: one reader thread per camera that never gives up.

The thread loops: connect (``open_capture``, TCP, bounded by the open
timeout) -> stream -> on trouble wait (``Backoff``) -> connect again, until
``close()``. While streaming it decodes every frame, samples ``fps`` of them
per second (``RateSampler``), stamps each with the UTC wall-clock time it was
read and puts it in a one-frame slot (``LatestFrameSlot``): the consumer gets
the newest picture, never a backlog, and overwritten frames count as drops.

Faults it handles, and the state it reports (one log line per change on the
``sitewatch.streams`` logger, and the ``on_change`` callback):

- cannot connect (camera off, wrong password, NVR rebooting): ``offline``
  with the diagnosed reason, retried with backoff;
- connection lost mid-stream (server restart): ``offline``, reconnect;
- no frame for ``stale_after_s`` (FFmpeg's read timeout fired): ``stalled``;
- frames arrive but the picture has not changed for ``frozen_after_s``:
  ``stalled`` with reason ``frozen``, reconnect; ``stats().frozen`` stays
  set until the picture changes, even across reconnects (frames keep being
  delivered: whether to score a frozen camera is the consumer's decision);
- a new resolution after a reconnect: frames of the new size simply flow
  (logged once); nothing here assumes a fixed size.

A local video file given as the URL (a path or ``file://``) plays as a live
camera would: paced at the file's own frame rate and looped at its end, with
frame timestamps taken from the wall clock (for demos and soak tests; batch
scoring of recordings uses ``VideoFileSource``).

The URL is held as a ``SecretStr`` and appears in logs, reasons and stats
only in redacted form.

The reader thread may be stuck inside OpenCV for up to
``settings.longest_block_s``; ``close()`` waits that long at most and never
leaks a capture: the thread releases it on its way out.

OpenCV opens one stream at a time per process (a global lock around FFmpeg's
open): a camera that hangs during the open delays other cameras' (re)connects
by up to ``open_timeout_s``, though cameras already streaming are unaffected.
Backoff keeps a dead camera from holding that lock often.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import cv2
from pydantic import SecretStr

from sitewatch.config.cameras import CameraSettings, redact_url
from sitewatch.config.streams import StreamSettings
from sitewatch.streams.backoff import Backoff
from sitewatch.streams.capture import StreamOpenError, open_capture, scrub
from sitewatch.streams.frozen import FrozenDetector
from sitewatch.streams.sampling import RateSampler
from sitewatch.streams.slot import LatestFrameSlot
from sitewatch.streams.state import FROZEN, SourceState, SourceStats, StateChange
from sitewatch.types import Frame

log = logging.getLogger("sitewatch.streams")

StateCallback = Callable[[StateChange], None]
_FAILURES = (SourceState.OFFLINE, SourceState.STALLED)
_FPS_SMOOTHING = 0.1  # weight of the newest frame interval in the rate estimate
_NETWORK_URL = re.compile(r"^(?!file:)[A-Za-z][A-Za-z0-9+.-]*://")
_LOOP = (SourceState.STREAMING, "end of file: playing it again")


class CameraReader:
    """Reads one camera in its own thread; ``read``/``take`` return its newest sampled frame."""

    def __init__(
        self,
        source_id: str,
        url: SecretStr | str,
        fps: float,
        settings: StreamSettings = StreamSettings(),
        *,
        on_change: StateCallback | None = None,
        ready: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ):
        if not source_id:
            raise ValueError("source_id must not be empty")
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.source_id = source_id
        self._url = url if isinstance(url, SecretStr) else SecretStr(url)
        self.display_url = redact_url(self._url.get_secret_value())
        self.fps = fps
        self.settings = settings
        self._on_change = on_change
        self._clock = clock
        self._slot = LatestFrameSlot(ready)
        self._backoff = Backoff(
            settings.backoff_base_s,
            settings.backoff_cap_s,
            settings.backoff_jitter,
            settings.healthy_reset_s,
            rng,
        )
        self._sampler = RateSampler(fps)
        self._frozen_check = FrozenDetector(settings.frozen_after_s, settings.frozen_min_change)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards the fields below, read by stats() from other threads
        self._state = SourceState.CONNECTING
        self._reason = "not started"
        self._since = datetime.now(UTC)
        self._last_failure: tuple[SourceState, str] | None = None
        self._frozen = False
        self._frames_read = 0
        self._reconnects = 0
        self._has_streamed = False
        self._last_frame_at: datetime | None = None
        self._interval_s: float | None = None
        self._size: tuple[int, int] | None = None
        self._is_file = not _NETWORK_URL.match(self._url.get_secret_value())
        self._looping = False  # reopening a file at its end: no state change, no reconnect

    @classmethod
    def for_camera(
        cls, camera: CameraSettings, settings: StreamSettings = StreamSettings(), **kwargs
    ) -> CameraReader:
        return cls(camera.id, camera.url, camera.fps, settings, **kwargs)

    def __repr__(self) -> str:
        return f"CameraReader({self.source_id!r}, {self.display_url!r}, state={self._state.value})"

    # -- consumer side ------------------------------------------------------
    def start(self) -> CameraReader:
        """Start the reader thread (once; later calls do nothing)."""
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                name = f"camera-{self.source_id}"
                self._thread = threading.Thread(target=self._run, name=name, daemon=True)
                self._thread.start()
        return self

    def read(self, timeout: float | None = None) -> Frame | None:
        """The newest sampled frame not yet taken, waiting up to ``timeout`` s; None if none came."""
        self.start()
        return self._slot.take(timeout)

    def take(self) -> Frame | None:
        """The newest sampled frame not yet taken, without waiting."""
        return self._slot.take(0)

    def __iter__(self) -> Iterator[Frame]:
        """Frames until ``close()`` (from another thread); a live camera never ends by itself."""
        while not self.finished:
            frame = self.read(timeout=0.5)
            if frame is not None:
                yield frame

    @property
    def finished(self) -> bool:
        return self._slot.closed

    @property
    def state(self) -> SourceState:
        return self._state

    def stats(self) -> SourceStats:
        with self._lock:
            streaming = self._state is SourceState.STREAMING
            fps = 1.0 / self._interval_s if streaming and self._interval_s else 0.0
            return SourceStats(
                source_id=self.source_id,
                url=self.display_url,
                state=self._state,
                reason=self._reason,
                since=self._since,
                frozen=self._frozen,
                frames_read=self._frames_read,
                frames_sampled=self._slot.puts,
                frames_delivered=self._slot.taken,
                drops=self._slot.dropped,
                reconnects=self._reconnects,
                failed_frames=0,
                last_frame_at=self._last_frame_at,
                fps=round(fps, 2),
                sample_fps=self.fps,
                width=self._size[0] if self._size else None,
                height=self._size[1] if self._size else None,
            )

    def stop(self) -> None:
        """Tell the thread to stop and release the capture, without waiting (``join`` waits).

        Stopping many readers: ``stop`` them all, then ``join`` each against one
        deadline, so that the wait does not add up camera by camera.
        """
        self._stop.set()
        self._slot.close()
        if self._thread is None:
            self._set_state(SourceState.CLOSED, "closed")

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the stopped thread to end; True when it did within ``timeout``."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def close(self, timeout: float | None = None) -> bool:
        """Stop the thread and release the capture; True when the thread ended within ``timeout``.

        The default waits ``settings.longest_block_s`` + 1 s, the longest the
        thread can be inside an OpenCV call. Safe to call more than once.
        """
        self.stop()
        if not self.join(self.settings.longest_block_s + 1.0 if timeout is None else timeout):
            log.warning(
                "camera %s: reader still inside OpenCV after close(); it exits when that call returns",
                self.source_id,
            )
            return False
        return True

    def __enter__(self) -> CameraReader:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reader thread ------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    failure = self._connect_and_stream()
                except Exception as exc:  # a bug or a cv2.error: report it and keep the camera alive
                    reason = f"reader error: {type(exc).__name__}: {self._scrub(str(exc))}"
                    failure = (SourceState.OFFLINE, reason)
                    log.error("camera %s: %s", self.source_id, failure[1])
                if failure is None or self._stop.is_set():
                    break
                self._looping = failure is _LOOP
                if self._looping:
                    continue
                delay = self._backoff.failed(self._clock())
                self._set_state(*failure, retry_in_s=delay)
                if self._stop.wait(delay):
                    break
        finally:
            self._set_state(SourceState.CLOSED, "closed")
            self._slot.close()

    def _connect_and_stream(self) -> tuple[SourceState, str] | None:
        """One connection: None when stopped, else the state and reason it failed with."""
        if not self._looping:
            self._set_state(SourceState.CONNECTING, "opening the stream")
        try:
            capture = open_capture(self._url.get_secret_value(), self.settings.open_timeout_s,
                                   self.settings.stale_after_s)
        except StreamOpenError as exc:
            return SourceState.OFFLINE, str(exc)
        try:
            return self._stream(capture)
        finally:
            capture.release()

    def _stream(self, capture: cv2.VideoCapture) -> tuple[SourceState, str] | None:
        self._sampler.restart()
        if not self._looping:
            self._frozen_check.restart()
        last_frame = self._clock()
        first = True
        pace = self._file_pacer(capture) if self._is_file else None
        while not self._stop.is_set():
            if pace is not None and self._stop.wait(pace()):
                return None
            # grab() decodes; retrieve() (colour conversion, copy) only for sampled frames.
            started = self._clock()
            ok = capture.grab()
            now = self._clock()
            if self._stop.is_set():
                return None
            if not ok and pace is not None and not first:
                return _LOOP
            # A grab that blocked for the whole read timeout timed out, even if it
            # "succeeded": after a timeout OpenCV hands out the frames still held in
            # the decoder, one per further timeout, before it reports failure.
            if not ok or now - started >= self.settings.stale_after_s:
                silent = now - last_frame
                if silent >= self.settings.stale_after_s:
                    return SourceState.STALLED, f"no frame for {silent:.0f} s"
                return SourceState.OFFLINE, "connection lost" if not first else "the stream sent no frame"
            wall = datetime.now(UTC)
            with self._lock:
                index = self._frames_read
                self._frames_read += 1
                self._last_frame_at = wall
                if not first:
                    interval = now - last_frame
                    self._interval_s = (
                        interval if self._interval_s is None
                        else self._interval_s + _FPS_SMOOTHING * (interval - self._interval_s)
                    )
            last_frame = now
            if first:
                first = False
                self._streaming_started(now)
            self._backoff.check_healthy(now)
            if not self._sampler.due(now):
                continue
            ok, image = capture.retrieve()
            if not ok or image is None:
                continue  # a damaged frame; the next one will do
            self._note_size(image)
            failure = self._check_frozen(image, now)
            if failure is not None:
                return failure
            self._slot.put(Frame(self.source_id, image, wall, index))
        return None

    def _streaming_started(self, now: float) -> None:
        self._backoff.healthy(now)
        if self._looping:
            return
        self._interval_s = None
        with self._lock:
            if self._has_streamed:
                self._reconnects += 1
            self._has_streamed = True
        self._set_state(SourceState.STREAMING, "")

    def _check_frozen(self, image, now: float) -> tuple[SourceState, str] | None:
        changed = self._frozen_check.update(image, now)
        if changed and self._frozen:
            with self._lock:
                self._frozen = False
                # Recovered: the next outage is news, even one with the reason of the last failure.
                self._last_failure = None
            log.info("camera %s: the picture changes again (no longer frozen)", self.source_id)
        if self._frozen_check.is_frozen(now):
            with self._lock:
                self._frozen = True
            # The configured threshold, not the measured time: the reason stays
            # the same from one reconnect to the next, so repeats log quietly.
            return SourceState.STALLED, f"{FROZEN}: picture unchanged for {self.settings.frozen_after_s:g} s"
        return None

    def _file_pacer(self, capture: cv2.VideoCapture) -> Callable[[], float]:
        """For a file: a function giving the seconds to wait before the next frame is due."""
        rate = capture.get(cv2.CAP_PROP_FPS)
        period = 1.0 / rate if 0 < rate < 1000 else 0.04
        next_at: float | None = None

        def wait_s() -> float:
            nonlocal next_at
            now = self._clock()
            if next_at is None or now - next_at > period:
                next_at = now  # the first frame, or fell behind: carry on from now instead of racing
            delay = max(0.0, next_at - now)
            next_at += period
            return delay

        return wait_s

    def _note_size(self, image) -> None:
        size = (int(image.shape[1]), int(image.shape[0]))
        if size != self._size:
            if self._size is not None:
                log.info(
                    "camera %s: resolution changed from %dx%d to %dx%d", self.source_id, *self._size, *size
                )
            with self._lock:
                self._size = size

    def _scrub(self, text: str) -> str:
        return scrub(text, self._url.get_secret_value())

    def _set_state(self, state: SourceState, reason: str, retry_in_s: float | None = None) -> None:
        with self._lock:
            old = self._state
            if old is SourceState.CLOSED:
                return
            self._state, self._reason, self._since = state, reason, datetime.now(UTC)
            if old is state is SourceState.CONNECTING:
                return  # the first attempt: "not started" -> "opening", no news
            repeated = state in _FAILURES and self._last_failure == (state, reason)
            # Reconnecting to a camera that is still frozen is no news either, as long as its
            # frozen picture caused the reconnect; back after a real outage is news, frozen or not.
            still_frozen = (
                state is SourceState.STREAMING
                and self._frozen
                and self._last_failure is not None
                and self._last_failure[1].startswith(FROZEN)
            )
            if state in _FAILURES:
                self._last_failure = (state, reason)
            elif state is SourceState.STREAMING and not still_frozen:
                self._last_failure = None
        change = StateChange(self.source_id, old, state, reason, self._since, retry_in_s)
        # A camera down for a week must not write two lines a minute: the
        # intermediate "connecting" and failures identical to the last one
        # are debug lines; the API shows the current state at any time.
        if state is SourceState.CONNECTING or repeated or still_frozen:
            level = logging.DEBUG
        elif state in _FAILURES:
            level = logging.WARNING
        else:
            level = logging.INFO
        log.log(level, "%s", change.describe())
        if self._on_change is not None:
            try:
                self._on_change(change)
            except Exception:
                log.exception("camera %s: the state-change callback failed", self.source_id)
