"""The bounded in-memory queue that holds event changes while the database is unreachable."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable

from sitewatch.events import ChangeKind
from sitewatch.store.writer import PendingChange

log = logging.getLogger("sitewatch.store")


class ChangeBuffer:
    """FIFO of pending changes, at most ``max_changes`` long.

    When full, an ``updated`` change that a later change of the same event
    supersedes is dropped first: every change carries the event's whole state,
    so the stored result is the same. Only when nothing can be coalesced does the
    oldest change go, with one error logged per overflow episode.
    """

    def __init__(self, max_changes: int):
        if max_changes < 1:
            raise ValueError("max_changes must be >= 1")
        self.max_changes = max_changes
        self._items: deque[PendingChange] = deque()
        self.dropped = 0
        self._overflow_logged = False

    def __len__(self) -> int:
        return len(self._items)

    def extend(self, changes: Iterable[PendingChange]) -> None:
        for change in changes:
            if len(self._items) >= self.max_changes:
                self._make_room()
            self._items.append(change)

    def head(self, n: int) -> list[PendingChange]:
        return [self._items[i] for i in range(min(n, len(self._items)))]

    def pop_head(self, n: int) -> None:
        for _ in range(min(n, len(self._items))):
            self._items.popleft()
        if not self._items:
            self._overflow_logged = False

    def _make_room(self) -> None:
        seen_later: set[str] = set()
        kept: list[PendingChange] = []
        for change in reversed(self._items):
            if (
                change.kind is ChangeKind.UPDATED
                and change.event_id in seen_later
                and change.snapshot is None
            ):
                continue
            seen_later.add(change.event_id)
            kept.append(change)
        if len(kept) < len(self._items):
            self._items = deque(reversed(kept))
            return
        self._items.popleft()
        self.dropped += 1
        if not self._overflow_logged:
            self._overflow_logged = True
            log.error(
                "event buffer full (%d changes) while the database is unreachable: dropping the oldest",
                self.max_changes,
            )
