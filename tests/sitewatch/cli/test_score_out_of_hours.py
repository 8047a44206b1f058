"""The out-of-hours rule through ``sitewatch score`` on a real clip with the shipped model.

vtest.avi shows people walking through a courtyard for its whole 80 s: one
continuous episode. Scored as if recorded inside the site's permitted hours it
must raise no ``out_of_hours`` event; at 23:30 on a working day exactly one.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from sitewatch.cli import app
from sitewatch.models import default_model_path
from sitewatch.store import open_store
from sitewatch.store.models import Event as StoredEvent
from sqlalchemy import select

from testdata import DEMO_VIDEO, REPO

pytestmark = pytest.mark.slow
CONFIG = REPO / "examples" / "site.yaml"


@pytest.fixture(scope="module", autouse=True)
def _needs_clip_and_model():
    if not DEMO_VIDEO.exists():
        pytest.skip(f"{DEMO_VIDEO} absent: run scripts/fetch-demo-video.sh (make test does)")
    if not default_model_path().exists():
        pytest.skip("no shipped model in models/")


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-05-05T10:00:00", 0),  # Tuesday 10:00 Berlin: permitted (Mon-Sat 07:00-19:00)
        ("2026-05-05T23:30:00", 1),  # Tuesday 23:30 Berlin: not permitted, no permit
    ],
)
def test_out_of_hours_events_follow_the_schedule(tmp_path, start, expected):
    out = tmp_path / "out"
    db = f"sqlite:///{tmp_path / 'events.db'}"
    result = CliRunner().invoke(
        app,
        ["score", str(DEMO_VIDEO), "--out", str(out), "--config", str(CONFIG), "--camera", "vtest",
         "--start", start, "--stride", "4", "--quiet", "--db", db],
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    late = [e for e in events if e["type"] == "out_of_hours"]
    assert len(late) == expected
    # --db: the store holds the same events, stored in UTC
    store = open_store(db)
    try:
        with store.session() as session:
            stored = {row.id: row for row in session.scalars(select(StoredEvent))}
    finally:
        store.close()
    assert set(stored) == {e["event_id"] for e in events}
    for event in late:
        row = stored[event["event_id"]]
        assert row.started_at.utcoffset().total_seconds() == 0
        assert row.started_at == datetime.fromisoformat(event["start"])
        assert event["start"].endswith("+02:00")  # local site time (CEST), offset kept
        assert event["people"] >= 1 and event["site_id"] == "berlin-mitte"
        assert (out / event["snapshot"]).stat().st_size > 0
