"""``run_ahead``: a bounded, ordered map over threads, for feeding a model several inputs at once.

A detector with several streams (``detector.streams``) gets through more
inputs a second when that many are in it at once; the caller still wants the
results in the inputs' order, and no more than a few inputs read ahead of it
(video frames and photos are large, and a failure should stop the rest).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def run_ahead(
    work: Callable[[Item], Result], items: Iterable[Item], depth: int
) -> Iterator[tuple[Item, Result]]:
    """Every item with ``work(item)``, in the items' order, ``depth`` items being worked on at once.

    ``depth`` 1 works in the calling thread. Above it, ``depth`` threads work
    while the caller handles the items before theirs. An exception from
    ``work`` reaches the caller at its item, and the items not started yet
    are dropped; so are they when the caller stops early.
    """
    if depth <= 1:
        for item in items:
            yield item, work(item)
        return
    pending: deque[tuple[Item, Future]] = deque()
    with ThreadPoolExecutor(depth, thread_name_prefix="ahead") as pool:
        try:
            for item in items:
                pending.append((item, pool.submit(work, item)))
                # One more than the pool runs: the oldest is handed out while `depth` keep working.
                if len(pending) > depth:
                    oldest, result = pending.popleft()
                    yield oldest, result.result()
            while pending:
                oldest, result = pending.popleft()
                yield oldest, result.result()
        finally:
            for _, result in pending:  # the caller stopped early or some work failed
                result.cancel()
