"""Alembic environment: runs on the connection that ``sitewatch.store.engine.migrate`` hands over."""

from alembic import context

from sitewatch.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "sitewatch migrations run through sitewatch.store.engine.migrate(), not the alembic CLI"
    )

# render_as_batch lets later migrations alter columns on SQLite (which rebuilds the table).
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
