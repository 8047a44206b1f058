"""``create_app``: the FastAPI application over a store (and, from a full config, the push workers)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from sitewatch.api.errors import install_error_handlers
from sitewatch.api.metrics import install_metrics
from sitewatch.api.nul_guard import install_nul_guard
from sitewatch.api.routes import audit, cameras, deliveries, events, stats, stream, system
from sitewatch.api.routing import check_every_route_declares_access

from sitewatch import __version__
from sitewatch.config import Settings
from sitewatch.config.api import ApiSettings
from sitewatch.store import Store, open_store, open_store_from_settings

PREFIX = "/api/v1"

DESCRIPTION = """Violation events from sitewatch cameras, for inspectors' systems.

Authenticate with an API key (`sitewatch keys create`) in `X-API-Key` or `Authorization: Bearer`.
Roles: **viewer** reads; **operator** also triages events and manages deliveries; **admin** also reads
the audit log. A key limited to some sites sees nothing of the others. Every error has the shape
`{"error": {"code": "...", "message": "..."}}`."""


def create_app(
    source: Store | Settings | str,
    *,
    api_settings: ApiSettings | None = None,
    push=None,
    camera_stats: Callable[[], list[dict]] | None = None,
) -> FastAPI:
    """Build the app from a ``Store`` (caller owns it), a database URL, or a whole ``Settings``.

    From ``Settings`` the app also runs the configured push workers; pass ``push``
    (a ``PushService``) to run others. Workers and a store the app opened itself are
    stopped and closed on shutdown. ``camera_stats`` (the live service's) returns one
    dict per camera (``SourceStats.as_dict()`` plus ``site_id``, no URL): merged into
    ``GET /cameras`` and exported in ``/metrics``.
    """
    owns_store = not isinstance(source, Store)
    if isinstance(source, Settings):
        store = open_store_from_settings(source.store)
        api_settings = api_settings or source.api
        if push is None and (source.push.webhooks.targets or source.push.mqtt is not None):
            from sitewatch.push import PushService

            push = PushService.from_settings(store, source.push)
    elif isinstance(source, str):
        store = open_store(source)
    else:
        store = source
    api_settings = api_settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.stopping = anyio.Event()
        if push is not None:
            push.start()
        try:
            yield
        finally:
            app.state.stopping.set()
            if push is not None:
                await anyio.to_thread.run_sync(push.stop)
            if owns_store:
                store.close()

    app = FastAPI(
        title="sitewatch API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.store = store
    app.state.api_settings = api_settings
    app.state.stopping = anyio.Event()
    app.state.camera_stats = camera_stats
    install_error_handlers(app)
    # Before the metrics middleware, which then wraps it: refused requests are counted too.
    install_nul_guard(app)
    app.state.metrics_registry = install_metrics(app, store, camera_stats)
    app.include_router(system.router)
    # stream before events: '/events/stream' must not be taken for an event id
    for module in (stream, events, cameras, stats, deliveries, audit):
        app.include_router(module.router, prefix=PREFIX)
    check_every_route_declares_access(app)
    return app
