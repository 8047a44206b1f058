"""How event-level metrics read in tables: the terminal summary and the Markdown report share it."""

from __future__ import annotations

from collections.abc import Mapping


def fmt(value: float | None, digits: int = 3) -> str:
    """A metric as text; undefined figures (no episodes, no events) show as '-'."""
    return "-" if value is None else f"{value:.{digits}f}"


def rate_cells(metrics: Mapping) -> list[str]:
    """precision, recall, F1, alerts per episode, share alerted more than once, time to alert median and p95."""
    return [
        fmt(metrics["precision"]),
        fmt(metrics["recall"]),
        fmt(metrics["f1"]),
        fmt(metrics["duplicates_per_episode"], 2),
        fmt(metrics["multi_alert_share"], 2),
        fmt(metrics["time_to_alert_s"]["median"], 1),
        fmt(metrics["time_to_alert_s"]["p95"], 1),
    ]
