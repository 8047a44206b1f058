"""Match the pipeline's events to ground-truth violation episodes of one clip.

The rule
--------
An event *can match* an episode when all of these hold:

1. **Same type** (``no_helmet`` or ``out_of_hours``).
2. **Overlap in time**: the event's frames ``[start_frame, end_frame]`` and the
   episode's ``[start_frame, end_frame]`` (both inclusive) share at least one
   frame. The event's ``start_frame`` is its first sighting (rules back-date
   an event to it), so an alert that opens late still overlaps.
3. **Overlap in space, for no_helmet only**: one of the event's *key boxes*
   - the box it opened with (at its opening frame) or its final evidence box
   (at the evidence frame) - has IoU >= ``min_iou`` (0.3) with the episode
   person's labelled ``head`` box in that same frame (interpolated between the
   nearest labelled frames when that frame itself is not labelled; no box
   outside the span where the head is labelled).

Then, per clip:

- Episodes not marked ``difficult`` are paired one-to-one with events by a
  maximum bipartite matching over the can-match pairs (``scipy``'s
  ``linear_sum_assignment``), which finds the largest possible number of
  pairs and, among those, prefers pairs whose frame intervals overlap most.
  A paired episode is **detected**; its paired event is a **true positive**.
- Of the events a detected episode could match, the one that opened first is
  its **primary** alert: time to alert is measured to it (episode start to
  the frame the ``OPENED`` change was emitted in).
- Every other unpaired event that can match a detected episode is a
  **duplicate** of it (of the one whose frames it overlaps most): a second
  alert for the same violation. Duplicates are not false positives; they are
  counted separately (alerts per detected episode, share of episodes alerted
  more than once).
- An unpaired event that can match only ``difficult`` episodes is **ignored**
  (an alert there is neither required nor wrong).
- Any other event is a **false positive**; an episode (not difficult) with no
  event is **missed**.

Precision = true positives / (true positives + false positives); recall =
detected episodes / episodes (difficult ones excluded from both).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.optimize import linear_sum_assignment

from sitewatch.events import EventType
from sitewatch.types import box_iou

DEFAULT_MIN_IOU = 0.3

Box = tuple[float, float, float, float]
# (person id, frame index) -> that person's bare-head box in that frame, or None.
PersonBox = Callable[[int, int], "np.ndarray | Sequence[float] | None"]


@dataclass(frozen=True, slots=True)
class Episode:
    """A ground-truth violation: frames ``start_frame..end_frame`` (inclusive)."""

    type: EventType
    start_frame: int
    end_frame: int
    person: int | None = None
    difficult: bool = False


@dataclass(frozen=True, slots=True)
class PredictedEvent:
    """What the matcher needs of one event the pipeline produced.

    ``open_frame`` is the frame whose processing emitted the ``OPENED`` change;
    ``key_boxes`` are (frame index, xyxy) pairs the event claims show the
    violation: its box when it opened and its final evidence box.
    """

    event_id: str
    type: EventType
    start_frame: int
    end_frame: int
    open_frame: int
    key_boxes: tuple[tuple[int, Box], ...] = ()


class Outcome(StrEnum):
    TRUE_POSITIVE = "true_positive"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    FALSE_POSITIVE = "false_positive"


@dataclass(frozen=True)
class Matching:
    """The result, indexed like the inputs.

    ``outcome[i]`` and ``episode_of[i]`` describe event ``i`` (the episode a true
    positive, duplicate or ignored event belongs to; None for a false positive).
    ``alerts[j]`` lists the events of episode ``j`` (true positive and
    duplicates), the earliest-opened first; ``primary[j]`` is that first event
    or None when the episode is missed (or difficult and unalerted).
    """

    episodes: tuple[Episode, ...]
    events: tuple[PredictedEvent, ...]
    outcome: tuple[Outcome, ...]
    episode_of: tuple[int | None, ...]
    alerts: tuple[tuple[int, ...], ...]

    @property
    def primary(self) -> tuple[int | None, ...]:
        return tuple(a[0] if a else None for a in self.alerts)

    def counts(self, type_: EventType) -> MatchCounts:
        scored = [j for j, e in enumerate(self.episodes) if e.type is type_ and not e.difficult]
        mine = [i for i, e in enumerate(self.events) if e.type is type_]
        outcomes = [self.outcome[i] for i in mine]
        detected = [j for j in scored if self.alerts[j]]
        return MatchCounts(
            episodes=len(scored),
            events=len(mine),
            true_positives=outcomes.count(Outcome.TRUE_POSITIVE),
            false_positives=outcomes.count(Outcome.FALSE_POSITIVE),
            duplicates=outcomes.count(Outcome.DUPLICATE),
            ignored=outcomes.count(Outcome.IGNORED),
            detected=len(detected),
            multi_alerted=sum(1 for j in detected if len(self.alerts[j]) > 1),
            alert_delays_frames=tuple(
                self.events[self.alerts[j][0]].open_frame - self.episodes[j].start_frame for j in detected
            ),
        )


@dataclass(frozen=True)
class MatchCounts:
    """Tallies of one event type; sums over clips with ``+``."""

    episodes: int = 0
    events: int = 0
    true_positives: int = 0
    false_positives: int = 0
    duplicates: int = 0
    ignored: int = 0
    detected: int = 0
    multi_alerted: int = 0
    alert_delays_frames: tuple[int, ...] = ()

    def __add__(self, other: MatchCounts) -> MatchCounts:
        return MatchCounts(
            *(
                getattr(self, f) + getattr(other, f)
                for f in (
                    "episodes",
                    "events",
                    "true_positives",
                    "false_positives",
                    "duplicates",
                    "ignored",
                    "detected",
                    "multi_alerted",
                    "alert_delays_frames",
                )
            )
        )

    @property
    def missed(self) -> int:
        return self.episodes - self.detected


def can_match(
    event: PredictedEvent, episode: Episode, person_box: PersonBox | None, min_iou: float = DEFAULT_MIN_IOU
) -> bool:
    """Rules 1-3 of the module docstring."""
    if event.type is not episode.type:
        return False
    if event.start_frame > episode.end_frame or episode.start_frame > event.end_frame:
        return False
    if episode.type is not EventType.NO_HELMET:
        return True
    if person_box is None or episode.person is None:
        return False
    for frame, box in event.key_boxes:
        truth = person_box(episode.person, frame)
        if truth is not None and box_iou(np.asarray(box), np.asarray(truth))[0, 0] >= min_iou:
            return True
    return False


def _frame_iou(event: PredictedEvent, episode: Episode) -> float:
    inter = min(event.end_frame, episode.end_frame) - max(event.start_frame, episode.start_frame) + 1
    union = max(event.end_frame, episode.end_frame) - min(event.start_frame, episode.start_frame) + 1
    return max(inter, 0) / union


def match_events(
    episodes: Sequence[Episode],
    events: Sequence[PredictedEvent],
    person_box: PersonBox | None = None,
    min_iou: float = DEFAULT_MIN_IOU,
) -> Matching:
    """Apply the rule in the module docstring to one clip's episodes and events."""
    episodes, events = tuple(episodes), tuple(events)
    n_ev, n_ep = len(events), len(episodes)
    compatible = np.zeros((n_ev, n_ep), bool)
    overlap = np.zeros((n_ev, n_ep))
    for i, event in enumerate(events):  # per event/episode pair; a clip has tens of each, not thousands
        for j, episode in enumerate(episodes):
            if can_match(event, episode, person_box, min_iou):
                compatible[i, j] = True
                overlap[i, j] = _frame_iou(event, episode)

    scored = np.array([not e.difficult for e in episodes], bool)
    outcome: list[Outcome] = [Outcome.FALSE_POSITIVE] * n_ev
    episode_of: list[int | None] = [None] * n_ev
    members: list[list[int]] = [[] for _ in range(n_ep)]

    pairable = compatible & scored[None, :]
    if pairable.any():
        # Weights in [1, 1 + 1/(n+1)): one more pair always outweighs any overlap bonus,
        # so the assignment is a maximum matching that prefers larger overlaps.
        weight = np.where(pairable, 1.0 + overlap / (min(n_ev, n_ep) + 1), 0.0)
        rows, cols = linear_sum_assignment(weight, maximize=True)
        for i, j in zip(rows.tolist(), cols.tolist()):
            if pairable[i, j]:
                outcome[i], episode_of[i] = Outcome.TRUE_POSITIVE, j
                members[j].append(i)

    detected = np.array([bool(m) for m in members], bool)
    for i in range(n_ev):
        if episode_of[i] is not None:
            continue
        for candidates, kind in (
            (compatible[i] & detected, Outcome.DUPLICATE),
            (compatible[i] & ~scored, Outcome.IGNORED),
        ):
            if candidates.any():
                j = int(np.argmax(np.where(candidates, overlap[i], -1.0)))
                outcome[i], episode_of[i] = kind, j
                members[j].append(i)
                break

    alerts = tuple(tuple(sorted(m, key=lambda i: (events[i].open_frame, i))) for m in members)
    # The earliest alert of a detected episode is its true positive; the pairing
    # only decided which episodes are detected.
    for j, alert in enumerate(alerts):
        if scored[j] and alert:
            for rank, i in enumerate(alert):
                outcome[i] = Outcome.TRUE_POSITIVE if rank == 0 else Outcome.DUPLICATE
    return Matching(episodes, events, tuple(outcome), tuple(episode_of), alerts)
