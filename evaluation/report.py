"""A Markdown report of ``sitewatch eval clips``: summary tables, charts, one timeline per clip.

Charts are matplotlib PNGs drawn on ``matplotlib.figure.Figure`` objects
(the Agg renderer, no pyplot and no display needed). matplotlib is the
optional ``eval`` extra; it is imported only here, when a report is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sitewatch.evaluation.clips import EVENT_TYPES, ClipResult, ClipsEvaluation
from sitewatch.evaluation.formatting import fmt, rate_cells
from sitewatch.evaluation.matching import Outcome
from sitewatch.events import EventType

REPORT_FILE = "report.md"
OUTCOME_COLOURS = {
    Outcome.TRUE_POSITIVE: "#2ca02c",
    Outcome.DUPLICATE: "#ff7f0e",
    Outcome.IGNORED: "#9e9e9e",
    Outcome.FALSE_POSITIVE: "#d62728",
}
EPISODE_COLOUR, DIFFICULT_COLOUR = "#9ecae1", "#e0e0e0"
_MAX_TIMELINE_INCHES = 30.0


def write_report(evaluation: ClipsEvaluation, out_dir: Path) -> Path:
    """Write ``report.md`` and its PNGs into ``out_dir``; returns the report's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "timelines").mkdir(exist_ok=True)
    data = evaluation.as_dict()
    _summary_chart(data, out_dir / "summary.png")
    _delay_chart(evaluation, out_dir / "time_to_alert.png")
    for result in evaluation.results:
        _timeline(result, out_dir / "timelines" / f"{result.name}.png")
    page = out_dir / REPORT_FILE
    page.write_text(_markdown(evaluation, data), encoding="utf-8")
    return page


# -- Markdown ----------------------------------------------------------------------
def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _markdown(evaluation: ClipsEvaluation, data: dict) -> str:
    results = evaluation.results
    scored = sum(r.frames_scored for r in results)
    lines = [
        "# Pipeline evaluation on labelled clips",
        "",
        f"Model `{evaluation.model_name}` (sha256 `{evaluation.model_sha256}`) on {evaluation.engine}, "
        f"{len(results)} clips, "
        f"{scored} frames scored.",
        "",
        "An event matches a ground-truth episode of its type when their frames overlap and, for no_helmet, "
        "the event's opening or evidence box overlaps the person's head box in that frame (IoU >= 0.3); "
        "each episode counts one true positive, further alerts for it are duplicates "
        "(the rule in full: `sitewatch/evaluation/matching.py`).",
        "",
        "## Events",
        "",
    ]
    rows = []
    for t in EVENT_TYPES:
        m = data[t.value]
        rows.append(
            [
                t.value,
                str(m["episodes"]),
                str(m["events"]),
                str(m["true_positives"]),
                str(m["false_positives"]),
                str(m["duplicates"]),
                str(m["missed"]),
                *rate_cells(m),
            ]
        )
    lines += _table(
        (
            "type",
            "episodes",
            "events",
            "TP",
            "FP",
            "duplicates",
            "missed",
            "precision",
            "recall",
            "F1",
            "alerts per episode",
            "share alerted > once",
            "time to alert median (s)",
            "p95 (s)",
        ),
        rows,
    )
    lines += ["", "![precision, recall, F1](summary.png)", "", "![time to alert](time_to_alert.png)", ""]
    lines += ["## Frame-level detection (mAP50 on labelled frames)", ""]
    lines += _table(list(data["map50"]), [[fmt(v) for v in data["map50"].values()]])
    lines += ["", "## Per clip", ""]
    clip_rows = []
    for row in data["clips"]:
        tallies = [
            "/".join(
                str(row[t.value][k]) for k in ("true_positives", "false_positives", "duplicates", "missed")
            )
            for t in EVENT_TYPES
        ]
        clip_rows.append(
            [
                f"[{row['clip']}](#{row['clip']})",
                row["start"],
                "yes" if row["outside_permitted_hours"] else "no",
                *tallies,
                fmt(row["map50"]),
            ]
        )
    lines += _table(
        (
            "clip",
            "start",
            "outside hours",
            "no_helmet TP/FP/dup/missed",
            "out_of_hours TP/FP/dup/missed",
            "mAP50",
        ),
        clip_rows,
    )
    lines += [
        "",
        "Timelines: ground-truth episodes (blue; grey = difficult) and alerts (green = true positive, "
        "orange = duplicate, grey = ignored, red = false positive; a triangle marks when the alert opened; "
        "dotted lines: cuts between photos in made clips).",
        "",
    ]
    for result in results:
        lines += [f"### {result.name}", "", f"![{result.name}](timelines/{result.name}.png)", ""]
    return "\n".join(lines)


# -- charts -------------------------------------------------------------------------
def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _summary_chart(data: dict, path: Path) -> None:
    fig = _figure(7, 3.2)
    ax = fig.subplots()
    metrics = ("precision", "recall", "f1")
    width = 0.38
    for k, t in enumerate(EVENT_TYPES):
        values = [data[t.value][m] or 0.0 for m in metrics]
        xs = [i + (k - 0.5) * width for i in range(len(metrics))]
        bars = ax.bar(xs, values, width, label=t.value)
        ax.bar_label(bars, labels=[fmt(data[t.value][m], 2) for m in metrics], fontsize=8)
    ax.set_xticks(range(len(metrics)), metrics)
    ax.set_ylim(0, 1.1)
    ax.set_title("event-level precision, recall, F1")
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=100)


def _delay_chart(evaluation: ClipsEvaluation, path: Path) -> None:
    fig = _figure(7, 3.0)
    axes = fig.subplots(1, len(EVENT_TYPES))
    for ax, t in zip(axes, EVENT_TYPES):
        delays = [d for r in evaluation.results for d in r.alert_delays_s(t)]
        if delays:
            ax.hist(delays, bins=min(30, max(5, len(delays) // 3)), color="#1f77b4")
        else:
            ax.text(0.5, 0.5, "no detected episodes", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(f"{t.value}: time to alert")
        ax.set_xlabel("seconds from episode start")
        ax.set_ylabel("episodes")
    fig.savefig(path, dpi=100)


def _timeline(result: ClipResult, path: Path) -> None:
    """Per event type, one row per ground-truth episode (with its alerts) and one per false positive."""
    fps = result.clip.meta.fps
    matching = result.matching
    panels = []
    for t in EVENT_TYPES:
        episodes = sorted(
            (j for j, e in enumerate(matching.episodes) if e.type is t),
            key=lambda j: matching.episodes[j].start_frame,
        )
        false_alarms = [
            i
            for i, e in enumerate(matching.events)
            if e.type is t and matching.outcome[i] is Outcome.FALSE_POSITIVE
        ]
        panels.append((t, episodes, false_alarms))
    rows = [max(1, len(eps) + len(fps_)) for _, eps, fps_ in panels]
    height = min(_MAX_TIMELINE_INCHES, 1.2 + 0.18 * sum(rows))
    fig = _figure(9, height)
    axes = fig.subplots(len(panels), 1, sharex=True, height_ratios=rows)
    duration = result.clip.meta.frames / fps
    for ax, (t, episodes, false_alarms) in zip(axes, panels):
        _draw_panel(ax, result, t, episodes, false_alarms, fps)
        ax.set_xlim(0, duration)
        for cut in _cuts(result)[1:]:  # made clips: where one photo gives way to the next
            ax.axvline(cut / fps, color="#555555", linestyle=":", linewidth=0.8)
    axes[-1].set_xlabel("seconds from clip start")
    outside = "outside" if result.outside_permitted_hours else "inside"
    fig.suptitle(
        f"{result.name}: {result.clip.meta.start:%Y-%m-%d %H:%M %Z} ({outside} permitted hours)", fontsize=10
    )
    fig.savefig(path, dpi=90)


def _cuts(result: ClipResult) -> list[int]:
    cuts = result.clip.meta.provenance.get("cuts", [])
    return [c for c in cuts if isinstance(c, int)] if isinstance(cuts, list) else []


def _draw_panel(
    ax, result: ClipResult, type_: EventType, episodes: list[int], false_alarms: list[int], fps: float
) -> None:
    matching = result.matching
    labels = []
    row = 0
    for j in episodes:
        episode = matching.episodes[j]
        colour = DIFFICULT_COLOUR if episode.difficult else EPISODE_COLOUR
        ax.broken_barh(
            [(episode.start_frame / fps, (episode.end_frame - episode.start_frame + 1) / fps)],
            (row - 0.4, 0.8),
            color=colour,
        )
        for i in matching.alerts[j]:
            _draw_event(ax, matching.events[i], matching.outcome[i], row, fps)
        who = f"#{episode.person}" if episode.person is not None else "people"
        labels.append(who + (" (difficult)" if episode.difficult else ""))
        row += 1
    for i in false_alarms:
        _draw_event(ax, matching.events[i], Outcome.FALSE_POSITIVE, row, fps)
        labels.append("false alarm")
        row += 1
    ax.set_yticks(range(len(labels)), labels, fontsize=6)
    ax.set_ylim(max(row, 1) - 0.5, -0.5)
    ax.set_title(type_.value, fontsize=9, loc="left")
    if not labels:
        ax.text(
            0.5, 0.5, "no episodes, no alerts", ha="center", va="center", transform=ax.transAxes, fontsize=8
        )


def _draw_event(ax, event, outcome: Outcome, row: int, fps: float) -> None:
    colour = OUTCOME_COLOURS[outcome]
    ax.broken_barh(
        [(event.start_frame / fps, (event.end_frame - event.start_frame + 1) / fps)],
        (row - 0.15, 0.3),
        color=colour,
    )
    ax.plot([event.open_frame / fps], [row - 0.3], marker="v", color=colour, markersize=4)
