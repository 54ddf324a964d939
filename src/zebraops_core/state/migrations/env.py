"""Alembic environment: ZebraOps passes its own connection in."""

from alembic import context

from zebraops_core.state.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
