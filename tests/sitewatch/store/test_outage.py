"""PostgreSQL stops while events are written, then returns: nothing is lost, the outage is logged once.

Two lengths of outage: a short one (the writes land while the server is just
down) and, marked slow, a full minute with writes spread over it, as a
PostgreSQL restart or failover on site would be.
"""

from __future__ import annotations

import logging
import time

import pytest

from sqlalchemy import select

from sitewatch.store import open_store
from sitewatch.store.models import Event, OutboxEntry


def _changes(change_factory, cameras: range) -> list:
    # three changes per camera, interleaved the way a live pipeline produces them
    out = []
    for step, kind in enumerate(("opened", "updated", "closed")):
        out += [change_factory(kind, source=f"cam-{i}", end_s=1 + step) for i in cameras]
    return out


@pytest.mark.parametrize("outage_s", [0, pytest.param(60, marks=pytest.mark.slow)])
def test_no_event_is_lost_while_postgres_is_down(pg_server, tmp_path, caplog, change_factory, outage_s):
    store = open_store(pg_server.url(pg_server.create_database()), tmp_path / "ev", retry_interval_s=1)
    before = _changes(change_factory, range(3))
    during = _changes(change_factory, range(3, 13))
    try:
        store.apply(before)
        pg_server.stop()
        try:
            down_since = time.monotonic()
            with caplog.at_level(logging.WARNING, logger="sitewatch.store"):
                for n, change in enumerate(during):
                    # spread the writes over the outage, as a live pipeline would
                    while time.monotonic() - down_since < outage_s * n / len(during):
                        time.sleep(0.2)
                    store.apply([change])
                while time.monotonic() - down_since < outage_s:
                    time.sleep(0.2)
            assert store.pending == len(during)
        finally:
            pg_server.start()
        with caplog.at_level(logging.WARNING, logger="sitewatch.store"):
            assert store.flush()
        outage_lines = [r for r in caplog.records if "unreachable" in r.getMessage()]
        back_lines = [r for r in caplog.records if "reachable again" in r.getMessage()]
        assert len(outage_lines) == 1 and len(back_lines) == 1
        with store.session() as session:
            stored = session.scalars(select(Event)).all()
            outbox = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
        assert len(stored) == 13 and {e.status for e in stored} == {"closed"}
        expected = [(c.event.event_id, str(c.kind)) for c in before + during]
        assert [(o.event_id, o.kind) for o in outbox] == expected
    finally:
        store.close()


def test_close_dangling_waits_for_the_database(pg_server, tmp_path, change_factory):
    store = open_store(pg_server.url(pg_server.create_database()), tmp_path / "ev", retry_interval_s=0)
    try:
        pg_server.stop()
        try:
            store.apply([change_factory("opened")])
            assert store.close_dangling(change_factory().event.end) == 0
        finally:
            pg_server.start()
        assert store.close_dangling(change_factory().event.end) == 1
    finally:
        store.close()
