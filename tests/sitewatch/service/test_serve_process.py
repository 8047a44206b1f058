"""``python -m sitewatch serve`` as a real process: SIGTERM, kill -9 and restart.

The camera is a still clip (one real vtest.avi frame repeated), so the real
model gives the same boxes in every frame: a violation that is "still going
on" after a restart is then exactly reproducible. The database is read with
the sqlite3 module, as an outside observer would.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

STOP_WITHIN_S = 15.0
WAIT_S = 90.0
CLOSE = "event.close_dangling"  # the audit action of the store closing what a crash left open


def rows(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []


def no_helmet(db: Path) -> dict[str, tuple]:
    """Event id -> (status, ended_at, closed_at, revision)."""
    found = rows(db, "SELECT id, status, ended_at, closed_at, revision FROM events WHERE type = 'no_helmet'")
    return {r[0]: r[1:] for r in found}


class Serve:
    def __init__(self, config: Path, log: Path):
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitewatch", "serve", "--config", str(config)],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def wait_until(self, predicate, what: str):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            value = predicate()
            if value:
                return value
            time.sleep(0.25)
        pytest.fail(f"timed out waiting for {what}:\n{self.log.read_text()[-3000:]}")

    def terminate(self) -> tuple[int, float]:
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(STOP_WITHIN_S)
        finally:
            self.close()
        return code, time.monotonic() - began

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._out.close()


@pytest.fixture
def served():
    started: list[Serve] = []

    def start(config: Path, log: Path) -> Serve:
        started.append(Serve(config, log))
        return started[-1]

    yield start
    for serve in started:
        serve.close()


def test_sigterm_closes_open_events_and_exits_0(
    served, make_config, still_clip, dead_camera_url, camera_secret, tmp_path
):
    config = make_config([{"id": "still", "url": str(still_clip)}, {"id": "down", "url": dead_camera_url}])
    db, log = tmp_path / "sitewatch.db", tmp_path / "serve.log"
    serve = served(config, log)
    serve.wait_until(lambda: any(s == "open" for s, *_ in no_helmet(db).values()), "an open no_helmet event")

    code, took = serve.terminate()

    assert code == 0, log.read_text()[-3000:]
    assert took < STOP_WITHIN_S
    events = no_helmet(db)
    assert events and all(status == "closed" and closed for status, _, closed, _ in events.values())
    text = log.read_text()
    assert "SIGTERM received" in text and "stopped" in text
    assert camera_secret not in text and "admin:" not in text  # the dead camera's URL is redacted


@pytest.mark.slow
def test_kill_9_mid_violation_then_restart_continues_the_same_events(
    served, make_config, still_clip, tmp_path
):
    config = make_config([{"id": "still", "url": str(still_clip)}])
    db, log = tmp_path / "sitewatch.db", tmp_path / "serve.log"
    first = served(config, log)
    first.wait_until(
        lambda: (e := no_helmet(db)) and all(s == "open" for s, *_ in e.values()), "open no_helmet events"
    )
    time.sleep(2)  # a few more frames of the same violation
    before = no_helmet(db)

    first.kill()  # no shutdown at all: the events stay open in the database
    assert all(status == "open" for status, *_ in no_helmet(db).values())

    second = served(config, log)
    # The restart closes what the crash left open, then the still-present workers continue them.
    second.wait_until(
        lambda: len(rows(db, f"SELECT 1 FROM audit_log WHERE action = '{CLOSE}'")) >= len(before),
        "the dangling events to be closed",
    )
    second.wait_until(
        lambda: all(no_helmet(db)[i][3] > before[i][3] and no_helmet(db)[i][0] == "open" for i in before),
        "the events to be continued",
    )
    time.sleep(2)
    after = no_helmet(db)
    assert set(after) == set(before), "a second no_helmet event was raised for the same violation"
    closed_by_restart = {r[0] for r in rows(db, f"SELECT entity_id FROM audit_log WHERE action = '{CLOSE}'")}
    assert closed_by_restart >= set(before)
    for event_id, (_, ended, _, _) in before.items():
        assert after[event_id][1] > ended  # the same event, carried on past the crash

    code, _ = second.terminate()
    assert code == 0
    assert all(status == "closed" and closed for status, _, closed, _ in no_helmet(db).values())
