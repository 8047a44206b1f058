"""Recorded video files as a frame source.

Unlike a live camera, a recording is processed frame by frame with nothing
dropped: the decoder runs in its own thread, a few frames ahead of the
consumer, so decoding overlaps inference (OpenCV releases the GIL while it
decodes, ONNX Runtime while it infers). The queue is small and bounded: a
slow consumer makes the decoder wait, it never buffers the whole video.

Frame timestamps are ``start + index / fps``: the wall-clock time each picture
shows, given when the first frame was taken.

``VideoFileSource`` is a ``FrameSource`` (see ``source.py``): ``read(timeout)``
and iteration give the same frames, so the live service's loop can run on a
recording too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2

from sitewatch.streams.state import SourceState, SourceStats
from sitewatch.types import Frame

# Consecutive unreadable frames after which a file is taken to have ended. A
# damaged stretch of a few frames is skipped and counted; a truncated file
# stops here instead of spinning on read errors.
MAX_CONSECUTIVE_FAILURES = 50
# Frames the container promised that may fail to decode before a file counts
# as not read to the end: some containers (MKV, WebM, variable-rate MP4) only
# estimate their length from duration and rate, and can be a frame or two over.
FRAME_COUNT_SLACK = 2
FRAME_COUNT_SLACK_SHARE = 0.01
_END = object()


class SourceError(Exception):
    """A video that cannot be opened or read at all (the message names the file)."""


@dataclass(frozen=True, slots=True)
class VideoInfo:
    path: Path
    width: int
    height: int
    fps: float
    frame_count: int  # as the container claims; may be 0 or wrong for damaged files

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 and self.frame_count > 0 else 0.0


def probe(path: Path) -> VideoInfo:
    """Open ``path`` once to read its size, rate and length; SourceError if it is no video."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if not path.is_file():
        raise SourceError(f"{path}: not a file")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise SourceError(f"{path}: not a video file OpenCV/FFmpeg can open")
        ok, image = cap.read()
        if not ok or image is None:
            raise SourceError(f"{path}: no decodable frame (empty, truncated or not a video)")
        fps = cap.get(cv2.CAP_PROP_FPS)
        return VideoInfo(
            path=path,
            width=int(image.shape[1]),
            height=int(image.shape[0]),
            fps=fps if 0 < fps < 1000 else 25.0,
            frame_count=max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT))),
        )
    finally:
        cap.release()


class VideoFileSource:
    """Iterate over every ``stride``-th frame of a video file as ``Frame`` values.

    ``frames_read`` counts decoded frames (scored or skipped by the stride),
    ``failed_frames`` frames the decoder could not read: damaged stretches it
    skipped, and the frames the container promised after the last one it read.
    """

    def __init__(self, path: Path, source_id: str, start: datetime, stride: int = 1, queue_size: int = 4):
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if stride < 1:
            raise ValueError("stride must be >= 1")
        self.info = probe(path)
        self.source_id = source_id
        self.start = start
        self.stride = stride
        self.frames_read = 0
        self.failed_frames = 0
        self.frames_offered = 0  # frames put in the queue (every stride-th decoded one)
        self.frames_delivered = 0
        self._last_index = -1
        self._ended = False
        self._since = datetime.now(UTC)
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def timestamp_of(self, index: int) -> datetime:
        # In UTC: Python adds a timedelta to a zoned time on the wall clock, which
        # across a DST change would move frames an hour or run time backwards.
        return self.start.astimezone(UTC) + timedelta(seconds=index / self.info.fps)

    def __iter__(self) -> Iterator[Frame]:
        if self._thread is not None:
            raise RuntimeError("a VideoFileSource can be iterated once")
        try:
            while (frame := self.read()) is not None:
                yield frame
        finally:
            self.close()

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame, waiting up to ``timeout`` s; None on timeout or at the end (then ``finished``)."""
        if self._ended or self._stop.is_set():
            return None
        if self._thread is None:
            self._since = datetime.now(UTC)
            self._thread = threading.Thread(target=self._decode, name=f"decode-{self.source_id}", daemon=True)
            self._thread.start()
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _END:
            self._ended = True
            self._since = datetime.now(UTC)
            self.close()
            if self._error is not None:
                raise SourceError(f"{self.info.path}: decoding failed: {self._error}") from self._error
            return None
        self.frames_delivered += 1
        return item

    @property
    def finished(self) -> bool:
        return self._ended or self._stop.is_set()

    @property
    def incomplete(self) -> bool:
        """More frames failed to decode than a container's slightly-off length explains (truncated, corrupt)."""
        slack = max(FRAME_COUNT_SLACK, int(self.info.frame_count * FRAME_COUNT_SLACK_SHARE))
        return self.failed_frames > slack

    def stats(self) -> SourceStats:
        if self._ended or self._stop.is_set():
            state = SourceState.CLOSED
            reason = "closed"
            if self._ended:
                reason = "decoding failed" if self._error is not None else "end of file"
        elif self._thread is None:
            state, reason = SourceState.CONNECTING, "not started"
        else:
            state, reason = SourceState.STREAMING, ""
        return SourceStats(
            source_id=self.source_id,
            url=str(self.info.path),
            state=state,
            reason=reason,
            since=self._since,
            frozen=False,
            frames_read=self.frames_read,
            frames_sampled=self.frames_offered,
            frames_delivered=self.frames_delivered,
            drops=0,
            reconnects=0,
            failed_frames=self.failed_frames,
            last_frame_at=(
                self.timestamp_of(self._last_index).astimezone(UTC) if self._last_index >= 0 else None
            ),
            fps=self.info.fps,
            sample_fps=None,
            width=self.info.width,
            height=self.info.height,
        )

    def close(self) -> None:
        self._stop.set()
        # Unblock a decoder waiting on a full queue.
        while self._thread is not None and self._thread.is_alive():
            try:
                self._queue.get_nowait()
            except queue.Empty:
                self._thread.join(timeout=0.05)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _decode(self) -> None:
        cap = cv2.VideoCapture(str(self.info.path), cv2.CAP_FFMPEG)
        index = 0
        failures = 0
        try:
            while not self._stop.is_set():
                wanted = index % self.stride == 0
                # grab() demuxes and decodes; retrieve() (the colour conversion
                # and copy out) is only paid for frames that will be scored.
                ok = cap.grab()
                image = None
                if ok and wanted:
                    ok, image = cap.retrieve()
                    ok = ok and image is not None
                if not ok:
                    if self.info.frame_count and index >= self.info.frame_count:
                        break  # clean end of file
                    failures += 1
                    if failures >= MAX_CONSECUTIVE_FAILURES:
                        break
                    index += 1
                    continue
                # A failed stretch counts once a frame after it decodes: a run of
                # failures at the end is the end of a file of unknown length, or
                # (length known) is counted from the promise below.
                self.failed_frames += failures
                failures = 0
                self.frames_read += 1
                self._last_index = index
                if wanted:
                    frame = Frame(self.source_id, image, self.timestamp_of(index), index)
                    if not self._put(frame):
                        break
                    self.frames_offered += 1
                index += 1
        except BaseException as exc:  # surfaced to the consumer, not lost in a thread
            self._error = exc
        finally:
            cap.release()
            # Frames the container promised but never delivered (a truncated
            # tail); not when the consumer stopped reading early.
            if self.info.frame_count and not self._stop.is_set():
                self.failed_frames = max(self.failed_frames, self.info.frame_count - self.frames_read)
            self._put(_END)
