"""``sitewatch keys``: create, list and revoke API keys."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy import select

from sitewatch.cli.app import app
from sitewatch.cli.errors import UserError, report_user_errors
from sitewatch.cli.store_options import ConfigOption, DbOption, open_store_or_fail, settings_with_db
from sitewatch.store.keys import Role, create_key, revoke_key
from sitewatch.store.models import ApiKey

keys_app = typer.Typer(help="Manage API keys for the HTTP API.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
@report_user_errors
def create(
    role: Annotated[
        Role, typer.Option("--role", help="viewer reads; operator also triages; admin also audits")
    ],
    site: Annotated[
        list[str] | None, typer.Option("--site", help="limit the key to this site (repeatable)")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="a note saying who or what holds the key")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Create a key. It is printed once, alone on the last line; only its hash is stored."""
    if any(not s.strip() for s in site or []):
        # A key for site "" would see nothing, while listing as if it saw every site.
        raise UserError("--site needs a site id (leave --site out for a key to every site)")
    settings = settings_with_db(config, db)
    if config is not None:
        # A misspelt site would give a key that silently sees nothing.
        known = sorted(s.id for s in settings.sites)
        unknown = sorted(set(site or []) - set(known))
        if unknown:
            raise UserError(
                f"--site {unknown[0]!r} is not a site of {config} (its sites: {', '.join(known) or 'none'})"
            )
    store = open_store_or_fail(settings, evidence=False)
    try:
        with store.session() as session, session.begin():
            key = create_key(session, role, sites=site or [], name=name)
    finally:
        store.close()
    scope = ", ".join(sorted(set(site))) if site else "all sites"
    print(f"created a {role} key for {scope}; store it now, it cannot be shown again:", file=sys.stderr)
    print(key)


@keys_app.command("list")
@report_user_errors
def list_keys(db: DbOption = None, config: ConfigOption = None) -> None:
    """List keys (ids, roles, sites; never secrets)."""
    store = open_store_or_fail(settings_with_db(config, db), evidence=False)
    try:
        with store.session() as session:
            for row in session.scalars(select(ApiKey).order_by(ApiKey.created_at)):
                state = "revoked" if row.revoked_at else "active"
                # Only a key without sites sees every site ("*"); an empty site id is shown as "".
                sites = ",".join(s or '""' for s in row.sites) if row.sites else "*"
                print(f"{row.id}\t{row.role}\t{sites}\t{state}\t{row.name or ''}")
    finally:
        store.close()


@keys_app.command("revoke")
@report_user_errors
def revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (the part after 'sw_')")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Revoke a key; requests with it are refused from now on."""
    store = open_store_or_fail(settings_with_db(config, db), evidence=False)
    try:
        with store.session() as session, session.begin():
            if not revoke_key(session, key_id):
                raise UserError(f"no active key with id {key_id!r}")
    finally:
        store.close()
    print(f"revoked {key_id}", file=sys.stderr)
