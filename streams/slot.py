"""The hand-over between a camera's reader thread and the consumer: one frame, newest wins.

A live camera must never make the service fall behind real time. The reader
therefore does not queue frames; it overwrites the single slot, and a frame
that is replaced before anyone took it is counted as a drop. A consumer that
keeps up sees no drops; one that is too slow sees current pictures and a
growing drop count instead of an ever older backlog.

An optional shared ``threading.Event`` is set on every put, so one consumer
can wait for "any camera has a frame" and then take from all of them.
"""

from __future__ import annotations

import threading

from sitewatch.types import Frame


class LatestFrameSlot:
    def __init__(self, notify: threading.Event | None = None):
        self._cond = threading.Condition(threading.Lock())
        self._frame: Frame | None = None
        self._closed = False
        self._notify = notify
        self.puts = 0
        self.taken = 0
        self.dropped = 0

    def put(self, frame: Frame) -> bool:
        """Offer ``frame``; True when it replaced one nobody took (a drop)."""
        with self._cond:
            dropped = self._frame is not None
            if dropped:
                self.dropped += 1
            self._frame = frame
            self.puts += 1
            self._cond.notify_all()
        if self._notify is not None:
            self._notify.set()
        return dropped

    def take(self, timeout: float | None = 0.0) -> Frame | None:
        """The newest untaken frame, waiting up to ``timeout`` s; None waits until one comes or it closes."""
        with self._cond:
            if self._frame is None and timeout != 0:
                self._cond.wait_for(lambda: self._frame is not None or self._closed, timeout)
            frame, self._frame = self._frame, None
            if frame is not None:
                self.taken += 1
            return frame

    def close(self) -> None:
        """Wake every waiting consumer; a frame still in the slot can be taken."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._notify is not None:
            self._notify.set()

    @property
    def closed(self) -> bool:
        return self._closed
