"""Options shared by the commands that open the store (``keys``, ``api``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from sitewatch.cli.errors import UserError
from sitewatch.config import Settings, load_settings

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="SITEWATCH_DB",
        help="database URL: sqlite:///FILE (default: sqlite:///sitewatch.db) or postgresql://USER:PW@HOST/DB",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config file (store, api and push sections)")
]


def settings_with_db(config: Path | None, db: str | None) -> Settings:
    """The config file's settings, with ``--db`` (when given) taking the store URL's place."""
    settings = load_settings(config)
    if db is not None:
        store = settings.store.model_copy(update={"url": SecretStr(db)})
        settings = settings.model_copy(update={"store": store})
    return settings


def open_store_or_fail(settings: Settings, *, evidence: bool = True):
    """Open the store; ``evidence=False`` for commands that never touch snapshots (``keys``)."""
    from sitewatch.store import StoreError, open_store_from_settings

    try:
        return open_store_from_settings(settings.store, create_evidence_dir=evidence)
    except StoreError as exc:
        raise UserError(str(exc)) from None
