"""Refuse NUL characters in the path and query string (422), whatever the database.

PostgreSQL text cannot hold U+0000, so a ``%00`` in an id or filter would
fail deep in the query as a database error (a 500), where SQLite would
quietly find nothing. No id, name or filter of ours contains one, so it is
refused up front, the same way on both. Bodies are checked by their schemas.
"""

from __future__ import annotations

from fastapi import FastAPI, Request

from sitewatch.api.errors import error_response

NUL = "\x00"


def install_nul_guard(app: FastAPI) -> None:
    @app.middleware("http")
    async def _refuse_nul(request: Request, call_next):
        if NUL in request.scope.get("path", ""):
            return error_response(422, "invalid_request", "the path contains a NUL character")
        for name, value in request.query_params.multi_items():
            if NUL in name or NUL in value:
                field = name.replace(NUL, "")
                return error_response(422, "invalid_request", f"{field}: contains a NUL character")
        return await call_next(request)
