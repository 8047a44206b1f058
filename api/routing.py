"""Walking the app's routes: full paths, and the access each route declares."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sitewatch.api.auth import ACCESS_MARK


def api_routes(routes, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path, looking inside included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif getattr(route, "original_router", None) is not None:
            # FastAPI keeps included routers as lazy branches rather than copying their routes
            yield from api_routes(route.original_router.routes, prefix + route.include_context.prefix)


def declared_access(route: APIRoute) -> str | None:
    """The access a route declares ('public', 'viewer', ...), found in its dependency tree."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        mark = getattr(dependant.call, ACCESS_MARK, None)
        if mark is not None:
            return mark
        pending.extend(dependant.dependencies)
    return None


def check_every_route_declares_access(app: FastAPI) -> None:
    """Default deny, enforced at start-up: a route without ``allow(...)`` or ``public()`` is a bug."""
    missing = [path for path, route in api_routes(app.routes) if declared_access(route) is None]
    if missing:
        raise RuntimeError(f"routes without declared access (use allow() or public()): {missing}")
