"""/healthz and /metrics: open to all, so that load balancers and scrapers hold no key.

They show no events, snapshots or URLs; /metrics does name cameras and sites
(docs/api.md, "Health and metrics", says how to keep it to the scraper).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sitewatch.api.auth import public
from sitewatch.api.schemas import HealthOut
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

router = APIRouter(tags=["system"])


# HEAD too, for load balancers that probe with it; left out of the schema (one operation id each).
@router.head("/healthz", dependencies=[Depends(public())], include_in_schema=False)
@router.get(
    "/healthz",
    response_model=HealthOut,
    dependencies=[Depends(public())],
    summary="Liveness and database reachability",
    responses={503: {"model": HealthOut, "description": "the database is unreachable"}},
)
def healthz(request: Request) -> JSONResponse:
    try:
        with request.app.state.store.session() as session:
            session.execute(text("SELECT 1"))
        return JSONResponse({"status": "ok", "database": "ok"})
    except DBAPIError:
        return JSONResponse({"status": "degraded", "database": "unreachable"}, status_code=503)


@router.get(
    "/metrics",
    dependencies=[Depends(public())],
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)
