"""Prometheus metrics: request counts and latency, store gauges, live camera stats (read at scrape time)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sitewatch.api.routing import api_routes
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from sitewatch.store import Store
from sitewatch.store.models import Delivery, Event

log = logging.getLogger("sitewatch.api")


class StoreCollector:
    """Counts from the database, gathered when Prometheus scrapes (no per-site labels: ids stay private)."""

    def __init__(self, store: Store):
        self.store = store

    def collect(self):
        events = GaugeMetricFamily("sitewatch_events", "stored events", labels=["type", "status"])
        deliveries = GaugeMetricFamily(
            "sitewatch_deliveries", "push deliveries", labels=["channel", "status"]
        )
        buffered = GaugeMetricFamily(
            "sitewatch_store_buffered_changes", "event changes waiting for the database"
        )
        buffered.add_metric([], self.store.pending)
        try:
            with self.store.session() as session:
                for type_, status, n in session.execute(
                    select(Event.type, Event.status, func.count()).group_by(Event.type, Event.status)
                ):
                    events.add_metric([type_, status], n)
                for channel, status, n in session.execute(
                    select(Delivery.channel, Delivery.status, func.count()).group_by(
                        Delivery.channel, Delivery.status
                    )
                ):
                    deliveries.add_metric([channel, status], n)
        except DBAPIError:
            log.debug("metrics: database unreachable during scrape")
        yield from (events, deliveries, buffered)


_CAMERA_STATES = ("connecting", "streaming", "stalled", "offline", "closed")


class CameraCollector:
    """The live service's camera readers, labelled by camera and site (never by URL)."""

    def __init__(self, camera_stats: Callable[[], list[dict]]):
        self.camera_stats = camera_stats

    def collect(self):
        labels = ["camera", "site"]
        state = GaugeMetricFamily(
            "sitewatch_camera_state", "1 for the camera's current state", labels=[*labels, "state"]
        )
        up = GaugeMetricFamily("sitewatch_camera_up", "1 while the camera streams", labels=labels)
        frozen = GaugeMetricFamily("sitewatch_camera_frozen", "1 while the picture is frozen", labels=labels)
        fps = GaugeMetricFamily("sitewatch_camera_fps", "rate frames arrive at", labels=labels)
        last = GaugeMetricFamily(
            "sitewatch_camera_last_frame_timestamp_seconds", "Unix time of the newest frame", labels=labels
        )
        counters = {
            key: CounterMetricFamily(f"sitewatch_camera_{key}", help_, labels=labels)
            for key, help_ in (
                ("frames_read", "frames decoded"),
                ("frames_sampled", "frames offered for scoring at the sampling rate"),
                ("frames_delivered", "frames taken by the processing loop"),
                ("drops", "sampled frames replaced before the processing loop took them"),
                ("reconnects", "times streaming resumed after it had stopped"),
            )
        }
        try:
            cameras = self.camera_stats()
        except Exception:
            log.exception("metrics: camera stats failed")
            cameras = []
        for camera in cameras:
            ids = [str(camera["source_id"]), str(camera.get("site_id") or "")]
            for name in _CAMERA_STATES:
                state.add_metric([*ids, name], 1.0 if camera["state"] == name else 0.0)
            up.add_metric(ids, 1.0 if camera["state"] == "streaming" else 0.0)
            frozen.add_metric(ids, 1.0 if camera["frozen"] else 0.0)
            fps.add_metric(ids, float(camera["fps"] or 0.0))
            if camera.get("last_frame_at"):
                last.add_metric(ids, _unix(camera["last_frame_at"]))
            for key, family in counters.items():
                family.add_metric(ids, float(camera.get(key) or 0))
        yield from (state, up, frozen, fps, last, *counters.values())


def _unix(value: datetime | str) -> float:
    return (datetime.fromisoformat(value) if isinstance(value, str) else value).timestamp()


def install_metrics(
    app: FastAPI, store: Store, camera_stats: Callable[[], list[dict]] | None = None
) -> CollectorRegistry:
    registry = CollectorRegistry()
    requests = Counter(
        "sitewatch_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
    )
    latency = Histogram(
        "sitewatch_http_request_seconds", "HTTP request latency", ["route"], registry=registry
    )
    registry.register(StoreCollector(store))
    if camera_stats is not None:
        registry.register(CameraCollector(camera_stats))

    templates: dict[int, str] = {}

    @app.middleware("http")
    async def _measure(request: Request, call_next):
        began = time.perf_counter()
        response = await call_next(request)
        if not templates:
            templates.update((id(route), path) for path, route in api_routes(app.routes))
        # the route template, never the raw path: ids in paths would explode label cardinality
        name = templates.get(id(request.scope.get("route")), "unmatched")
        requests.labels(request.method, name, str(response.status_code)).inc()
        latency.labels(name).observe(time.perf_counter() - began)
        return response

    return registry
