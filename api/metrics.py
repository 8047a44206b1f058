"""Prometheus metrics: request counts and latency, plus store gauges read at scrape time."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
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


def install_metrics(app: FastAPI, store: Store) -> CollectorRegistry:
    registry = CollectorRegistry()
    requests = Counter(
        "sitewatch_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
    )
    latency = Histogram(
        "sitewatch_http_request_seconds", "HTTP request latency", ["route"], registry=registry
    )
    registry.register(StoreCollector(store))

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
