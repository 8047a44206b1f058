"""``sitewatch api``: serve the HTTP API on its own (the live service embeds the same app)."""

from __future__ import annotations

import sys
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
    from sitewatch.service.api_server import PortInUse, bind_socket
    from sitewatch.store import StoreError

    settings = settings_with_db(config, db)
    host, port = host or settings.api.host, port or settings.api.port
    # As ``serve`` does: bind first, so that a taken port is one clear line (uvicorn would log
    # its error and exit 3), and before the database is opened for nothing.
    try:
        sock = bind_socket(host, port)
    except PortInUse as exc:
        raise UserError(str(exc)) from None
    try:
        try:
            application = create_app(settings)
        except StoreError as exc:
            raise UserError(str(exc)) from None
        server = uvicorn.Server(
            uvicorn.Config(
                application,
                log_level="info",
                # SSE clients hold connections open; do not let them hold up a shutdown for long
                timeout_graceful_shutdown=5,
            )
        )
        # uvicorn says where it listens only when it binds the socket itself
        shown = f"[{host}]" if ":" in host else host
        print(f"sitewatch API on http://{shown}:{port}/api/v1/docs (Ctrl-C stops it)", file=sys.stderr)
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # uvicorn hands Ctrl-C back once it has shut down, as uvicorn.run swallows it
    finally:
        sock.close()
