"""``sitewatch serve``: the live service next to a site's NVR (cameras, detector, rules, store, API, push)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from sitewatch.cli.app import app
from sitewatch.cli.errors import UserError, report_user_errors
from sitewatch.cli.store_options import DbOption, settings_with_db

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


@app.command("serve")
@report_user_errors
def serve(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="site configuration YAML (cameras, store, api, push)")
    ],
    model: Annotated[
        Path | None, typer.Option("--model", help="ONNX model (default: detector.model, else shipped)")
    ] = None,
    db: DbOption = None,
    host: Annotated[str | None, typer.Option("--host", help="API interface (default: api.host)")] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="API port (default: api.port)")
    ] = None,
) -> None:
    """Watch every camera of the config until SIGTERM/Ctrl-C, storing events and serving the API."""
    from sitewatch.service import Service, ServiceError

    if not config.is_file():
        raise UserError(f"{config}: no such configuration file")
    settings = settings_with_db(config, db)
    if host is not None or port is not None:
        api = settings.api.model_copy(
            update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
        )
        settings = settings.model_copy(update={"api": api})
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        service = Service(settings, model=model).start()
    except ServiceError as exc:
        raise UserError(str(exc)) from None
    typer.echo(
        f"sitewatch is watching {len(settings.cameras)} camera(s); Ctrl-C or SIGTERM stops it.\n"
        f"  API:      {service.api.url}/api/v1/docs\n"
        f"            key: sitewatch keys create --role viewer --config {config}{' --db ...' if db else ''}\n"
        f"  cameras:  {service.api.url}/api/v1/cameras   metrics: {service.api.url}/metrics\n"
        f"  database: {service.store.display_url}\n"
        f"  evidence: {service.store.evidence.directory}"
    )
    service.run_until_signal()
