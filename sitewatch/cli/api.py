"""``sitewatch api``: serve the HTTP API on its own (the live service embeds the same app)."""

from __future__ import annotations

from typing import Annotated

import typer

from sitewatch.cli.app import app
from sitewatch.cli.errors import UserError, report_user_errors
from sitewatch.cli.store_options import ConfigOption, DbOption, settings_with_db


@app.command("api")
@report_user_errors
def serve_api(
    db: DbOption = None,
    host: Annotated[
        str | None, typer.Option("--host", help="interface to listen on (default: 127.0.0.1)")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="TCP port (default: 8080)")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Serve /api/v1 over the store; with --config, also run the configured webhook/MQTT pushes."""
    import uvicorn

    from sitewatch.api import create_app
    from sitewatch.store import StoreUnavailable, StoreUrlError

    settings = settings_with_db(config, db)
    try:
        application = create_app(settings)
    except (StoreUrlError, StoreUnavailable) as exc:
        raise UserError(str(exc)) from None
    uvicorn.run(
        application,
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_level="info",
        # SSE clients hold connections open; do not let them hold up a shutdown for long
        timeout_graceful_shutdown=5,
    )
