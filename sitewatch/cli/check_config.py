"""``sitewatch check-config``: validate a site configuration file without starting anything."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sitewatch.cli.app import app
from sitewatch.cli.errors import report_user_errors
from sitewatch.config import load_settings


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@app.command("check-config")
@report_user_errors
def check_config(
    file: Annotated[Path, typer.Argument(help="Configuration YAML to check.", show_default=False)],
) -> None:
    """Check a configuration file: prints one line per problem with its YAML line number (exit 2), or OK."""
    settings = load_settings(file)
    counts = ", ".join(
        (
            _count(len(settings.sites), "site"),
            _count(len(settings.cameras), "camera"),
            _count(len(settings.permits), "permit"),
        )
    )
    typer.echo(f"{file}: OK ({counts})")
